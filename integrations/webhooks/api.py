"""The webhooks part of the REST API: endpoints (/api/v1/webhook-endpoints/) with their secret
(shown in the answer that makes it, never again), rotation, the test event; deliveries
(/api/v1/webhook-deliveries/) with every attempt, and replay.

Tenant administrators see and manage every endpoint of the tenant; client administrators only
their client's (another client's or tenant's endpoint answers 404 like a missing one).
"""

from __future__ import annotations

from functools import cached_property

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from tenancy.api_base import BooleanField, TenantViewSet
from tenancy.api_input import TenantDayFilter
from tenancy.roles import Role, client_scope_of

from . import selectors, services
from .catalog import TEST_EVENT, EventType
from .models import Attempt, Delivery, DeliveryState, Endpoint

WEBHOOK_MANAGERS = frozenset({Role.ADMIN, Role.CLIENT_ADMIN})


class EndpointSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True, default=None)
    has_previous_secret = serializers.SerializerMethodField()

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "event_types", "client", "client_name", "is_active", "disabled_at",
                  "disabled_reason", "failing_since", "previous_secret_expires_at", "has_previous_secret",
                  "created_at"]
        read_only_fields = fields

    def get_has_previous_secret(self, endpoint) -> bool:
        return bool(endpoint.previous_secret_token)


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.SerializerMethodField(help_text="`whsec_…`: shown in this answer only, never again.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, endpoint) -> str | None:
        return self.context.get("secret")


class EndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=services.URL_MAX,
                                help_text="https only; resolved and refused if private, loopback or link-local, "
                                          "or if it redirects.")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False,
                                        max_length=len(EventType.values))
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True,
                                        default="")


class EndpointUpdateSerializer(EndpointWriteSerializer):
    is_active = BooleanField(required=False, help_text="false disables the endpoint; true enables it again.")


class RotateSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(min_value=0, max_value=services.MAX_OVERLAP_HOURS, required=False,
                                             default=services.DEFAULT_OVERLAP_HOURS,
                                             help_text="How long the old secret keeps signing beside the new one.")


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["id", "at", "status_code", "ok", "duration_ms", "error", "response_excerpt"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "endpoint", "message_id", "event_type", "state", "tries", "next_attempt_at", "last_status",
                  "delivered_at", "created_at", "body", "attempts"]
        read_only_fields = fields


class DeliveryFilter(filters.FilterSet):
    endpoint = filters.NumberFilter(field_name="endpoint_id")
    state = filters.ChoiceFilter(choices=DeliveryState.choices)
    event_type = filters.MultipleChoiceFilter(
        choices=[*EventType.choices, (TEST_EVENT, TEST_EVENT)],
        help_text="Only deliveries of these event types (repeat the parameter for several).")
    date_from = TenantDayFilter(field_name="created_at", lookup_expr="gte",
                                help_text="Created on or after this day (the organisation's time zone).")
    date_to = TenantDayFilter(field_name="created_at", lookup_expr="lte",
                              help_text="Created on or before this day (the organisation's time zone).")

    class Meta:
        model = Delivery
        fields = ["endpoint", "state", "event_type", "date_from", "date_to"]


class _Scoped:
    read_roles = WEBHOOK_MANAGERS
    write_roles = WEBHOOK_MANAGERS

    @cached_property
    def client_id(self) -> int | None:
        return client_scope_of(self.request.user)

    def one(self, pk):
        try:
            return self.scoped_queryset().get(pk=pk)
        except (self.model.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound() from None


class EndpointViewSet(_Scoped, mixins.ListModelMixin, TenantViewSet):
    """Webhook endpoints: the URL, the event types it receives and its signing secret (Standard
    Webhooks 1.0)."""

    model = Endpoint
    serializer_class = EndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self):
        return selectors.endpoint_list(client_id=self.client_id)

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.one(pk)))

    def _with_secret(self, endpoint: Endpoint, code=status.HTTP_200_OK) -> Response:
        secret = services.secret_reveal(endpoint=endpoint, actor=self.request.user)
        serializer = EndpointWithSecretSerializer(self.one(endpoint.pk),
                                                  context={**self.get_serializer_context(), "secret": secret})
        return Response(serializer.data, status=code)

    @extend_schema(request=EndpointWriteSerializer, responses={201: EndpointWithSecretSerializer},
                   description="Register an endpoint. The answer carries its `secret` (`whsec_…`), the only time it "
                   "is shown. A client administrator's endpoint receives that client's events only.")
    def create(self, request):
        data = self.validated(EndpointWriteSerializer)
        endpoint = services.endpoint_create(actor=request.user, **data)
        return self._with_secret(endpoint, status.HTTP_201_CREATED)

    @extend_schema(request=EndpointUpdateSerializer, responses=EndpointSerializer)
    def partial_update(self, request, pk=None):
        endpoint = self.one(pk)
        data = self.validated(EndpointUpdateSerializer, partial=True)
        services.endpoint_update(endpoint=endpoint, actor=request.user, **data)
        return Response(self.serialized(self.one(pk)))

    def destroy(self, request, pk=None):
        services.endpoint_delete(endpoint=self.one(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RotateSerializer, responses=EndpointWithSecretSerializer,
                   description="A new secret, in this answer only; the old one keeps signing beside it (two "
                   "signatures in `webhook-signature`) for `overlap_hours`.")
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.one(pk)
        data = self.validated(RotateSerializer)
        endpoint = services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user, **data)
        return self._with_secret(endpoint)

    @extend_schema(request=inline_serializer("WebhookTestRequest", fields={}), responses={202: DeliverySerializer},
                   description="Send a `webhook.test` event to the endpoint now.")
    @action(detail=True, methods=["post"], url_path="test", url_name="test")
    def send_test(self, request, pk=None):
        delivery = services.endpoint_send_test(endpoint=self.one(pk), actor=request.user)
        delivery = selectors.delivery_list(client_id=self.client_id).get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(_Scoped, mixins.ListModelMixin, TenantViewSet):
    """What was sent to the endpoints, each attempt with its status, time and the first KiB of the answer."""

    model = Delivery
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self):
        return selectors.delivery_list(client_id=self.client_id)

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.one(pk)))

    @extend_schema(request=inline_serializer("WebhookReplayRequest", fields={}), responses={202: DeliverySerializer},
                   description="Send the delivery again: the same `webhook-id` and body, new signatures, a new run "
                   "of retries.")
    @action(detail=True, methods=["post"], url_path="replay", url_name="replay")
    def replay(self, request, pk=None):
        delivery = services.delivery_replay(delivery=self.one(pk), actor=request.user)
        return Response(self.serialized(self.one(delivery.pk)), status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("webhook-endpoints", EndpointViewSet, basename="api-webhook-endpoint")
    router.register("webhook-deliveries", DeliveryViewSet, basename="api-webhook-delivery")
