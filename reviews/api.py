"""The reviews part of the REST API (/api/v1/): reviews with their transitions, the report (JSON,
PDF, CSV), action items, the client's confirmation; and the SLA metrics of a contract for any range.

Client-side users see only their client's reviews; another tenant's or client's review answers 404
like a missing one. Confirming needs the signatory's own session (password re-entered), never a key.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.db.models import F, Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from contracts.models import Client, Contract
from tenancy.api_base import TenantRelatedField, TenantViewSet
from tenancy.bounds import validate_date_in_range
from tenancy.context import current_tenant_id
from tenancy.errors import DomainError
from tenancy.models import ApiKey, Tenant
from tenancy.roles import CLIENT_ROLES, CONTRACT_MANAGERS, PROVIDER_ROLES, Role, client_scope_of

from . import report as reports
from . import selectors, services
from .models import ITEM_TRANSITIONS, ActionItem, ActionItemState, Review, ReviewKind, ReviewState

MAX_RANGE_DAYS = 366 * 2


def _users():
    from django.contrib.auth import get_user_model

    from tenancy.models import Membership

    return get_user_model().objects.filter(pk__in=Membership.objects.filter(is_active=True).values("user_id"))


class ActionItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActionItem
        fields = ["id", "what", "owner", "due_date", "state", "evidence_note", "evidence_file_name", "created_at",
                  "finished_at"]
        read_only_fields = fields


class ActionItemListSerializer(ActionItemSerializer):
    """An item of the register: the item with its review, contract and client."""

    review = serializers.IntegerField(source="review_id", read_only=True)
    contract = serializers.IntegerField(source="review.contract_id", read_only=True)
    contract_number = serializers.CharField(source="review.contract.number", read_only=True)
    client = serializers.IntegerField(source="review.client_id", read_only=True)

    class Meta(ActionItemSerializer.Meta):
        fields = ["id", "review", "contract", "contract_number", "client", *ActionItemSerializer.Meta.fields[1:]]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "contract", "client", "kind", "period_start", "period_end", "proposed_meeting_date", "state",
                  "held_on", "provider_attendees", "client_attendees", "minutes", "prepared_at", "closed_at",
                  "cancel_reason", "created_at"]
        read_only_fields = fields


class ReviewDetailSerializer(ReviewSerializer):
    items = ActionItemSerializer(many=True, read_only=True)
    confirmed_at = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "items", "confirmed_at"]
        read_only_fields = fields

    def get_confirmed_at(self, review) -> dt.datetime | None:
        confirmation = getattr(review, "confirmation", None)
        return confirmation.signed_at if confirmation else None


class ReviewCreateSerializer(serializers.Serializer):
    contract = TenantRelatedField(scope=lambda: Contract.objects.all())
    kind = serializers.ChoiceField(choices=ReviewKind.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    proposed_meeting_date = serializers.DateField(required=False, allow_null=True)


class HoldSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    provider_attendees = serializers.CharField(max_length=services.TEXT_MAX)
    client_attendees = serializers.CharField(max_length=services.TEXT_MAX)
    minutes = serializers.CharField(max_length=services.TEXT_MAX)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.TEXT_MAX)


class ItemWriteSerializer(serializers.Serializer):
    what = serializers.CharField(max_length=services.TEXT_MAX)
    owner = TenantRelatedField(scope=_users, required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    evidence_note = serializers.CharField(max_length=services.TEXT_MAX, required=False, allow_blank=True)


class ItemTransitionSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=2**62)
    transition = serializers.ChoiceField(choices=[(t, t) for t in ITEM_TRANSITIONS])
    note = serializers.CharField(max_length=services.TEXT_MAX, required=False, allow_blank=True, default="")


class ConfirmSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=200)
    consent = serializers.BooleanField()


FILE = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)}


class ReviewFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=lambda request: Contract.objects.all())
    client = filters.ModelChoiceFilter(queryset=lambda request: Client.objects.all())
    kind = filters.ChoiceFilter(choices=ReviewKind.choices)
    state = filters.MultipleChoiceFilter(
        choices=ReviewState.choices, distinct=False,
        help_text="Repeat to match any of several states: ?state=scheduled&state=prepared")
    period_from = filters.DateFilter(field_name="period_end", lookup_expr="gte",
                                     help_text="Reviews whose period ends on or after this day.")
    period_to = filters.DateFilter(field_name="period_start", lookup_expr="lte",
                                   help_text="Reviews whose period starts on or before this day.")
    meeting_from = filters.DateFilter(field_name="proposed_meeting_date", lookup_expr="gte",
                                      help_text="Reviews whose meeting is proposed for this day or later.")
    meeting_to = filters.DateFilter(field_name="proposed_meeting_date", lookup_expr="lte",
                                    help_text="Reviews whose meeting is proposed for this day or earlier.")


class ReviewViewSet(mixins.ListModelMixin, TenantViewSet):
    """Quarterly, half-yearly and annual reviews. State changes only through the actions.

    The list is newest period first; it filters by contract, client, kind, state, period and proposed
    meeting date, searches the contract's number and title and the client's name, and sorts by
    `ordering`."""

    model = Review
    serializer_class = ReviewSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = ReviewFilter
    ordering_fields = ["period_end", "period_start", "proposed_meeting_date", "held_on", "state", "kind",
                       "created_at", "id"]
    ordering = ["-period_end", "-id"]
    search_fields = ["contract__number", "contract__title", "client__name"]
    read_roles = PROVIDER_ROLES | CLIENT_ROLES
    write_roles = CONTRACT_MANAGERS | {Role.CLIENT_ADMIN, Role.CLIENT_SIGNATORY}
    conflict_actions = ("prepare", "refresh", "hold", "close", "cancel", "confirm", "items", "item_transition")

    @cached_property
    def client_id(self) -> int | None:
        return client_scope_of(self.request.user)

    def scoped_queryset(self):
        return selectors.review_list(client_id=self.client_id)

    def review(self, pk) -> Review:
        try:
            return selectors.review_get(review_id=pk, client_id=self.client_id)
        except (Review.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound() from None

    def _manager_only(self):
        if self.client_id is not None:
            raise PermissionDenied(_("Your role does not allow this."))

    def _detail(self, pk):
        return Response(self.serialized(self.review(pk), ReviewDetailSerializer))

    def retrieve(self, request, pk=None):
        return self._detail(pk)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewDetailSerializer},
                   description="Schedule a review of an active contract for a period that has ended.")
    def create(self, request):
        self._manager_only()
        review = services.review_create(actor=request.user, via=self.via, **self.validated(ReviewCreateSerializer))
        return Response(self.serialized(self.review(review.pk), ReviewDetailSerializer), status=status.HTTP_201_CREATED)

    def _fire(self, pk, service, body=dict):
        review = self.review(pk)  # 404 before anything else, whatever the body
        self._manager_only()
        service(review=review, actor=self.request.user, via=self.via, **body())
        return self._detail(pk)

    @extend_schema(summary="Prepare", request=None, responses=ReviewDetailSerializer,
                   description="scheduled → prepared: the report is frozen with the review.")
    @action(detail=True, methods=["post"])
    def prepare(self, request, pk=None):
        return self._fire(pk, services.review_prepare)

    @extend_schema(summary="Refresh the report", request=None, responses=ReviewDetailSerializer,
                   description="Recompute the frozen report; allowed while prepared (until held).")
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        return self._fire(pk, services.review_refresh)

    @extend_schema(summary="Hold", request=HoldSerializer, responses=ReviewDetailSerializer,
                   description="prepared → held: the date, attendees of both sides and the minutes.")
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        return self._fire(pk, services.review_hold,
                          lambda: {"data": services.HoldInput(**self.validated(HoldSerializer))})

    @extend_schema(summary="Close", request=None, responses=ReviewDetailSerializer,
                   description="held → closed; every action item needs an owner and a due date.")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._fire(pk, services.review_close)

    @extend_schema(summary="Cancel", request=ReasonSerializer, responses=ReviewDetailSerializer,
                   description="scheduled, prepared or held → cancelled, with a reason.")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._fire(pk, services.review_cancel, lambda: {"reason": self.validated(ReasonSerializer)["reason"]})

    @extend_schema(summary="Confirm minutes and plan", request=ConfirmSerializer, responses=ReviewDetailSerializer,
                   description="The client signatory confirms, re-entering the password; session only. 409 twice.")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied(_("The minutes are confirmed by the signatory in person: use the portal session."))
        review = self.review(pk)
        data = self.validated(ConfirmSerializer)
        services.review_confirm(review=review, actor=request.user, via="portal", data=services.ConfirmInput(
            password=data["password"], consent=data["consent"], ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", "")))
        return self._detail(pk)

    @extend_schema(summary="Report", responses={200: OpenApiTypes.OBJECT},
                   parameters=[OpenApiParameter("format", str, enum=["json", "pdf", "csv"]),
                               OpenApiParameter("lang", str, enum=list(reports.LANGUAGES))],
                   description="The SLA report: the frozen snapshot once prepared, the live figures before.")
    @action(detail=True, methods=["get"], url_path="report", url_name="report", filter_backends=[], pagination_class=None,
            action_query_params=("lang",))
    def report(self, request, pk=None):
        review = self.review(pk)
        kind = request.query_params.get("format", "json")
        if kind == "pdf":
            response = HttpResponse(reports.render_pdf(review, language=request.query_params.get("lang", "ru")),
                                    content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{reports.filename(review, "pdf")}"'
            return response
        if kind == "csv":
            response = HttpResponse(reports.render_csv(selectors.review_report(review)),
                                    content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{reports.filename(review, "csv")}"'
            return response
        if kind != "json":
            raise DomainError(_("Choose json, pdf or csv."), field="format")
        return Response(selectors.review_report(review))

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=force or self.action == "report")

    @extend_schema(summary="Action items", request=ItemWriteSerializer, responses=ActionItemSerializer(many=True),
                   description="GET lists the plan, every item (a plan is short: no pages, no filters); POST adds an "
                               "item (managers).")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def items(self, request, pk=None):
        review = self.review(pk)
        if request.method == "POST":
            self._manager_only()
            data = self.validated(ItemWriteSerializer)
            item = services.action_item_create(review=review, actor=request.user, via=self.via, **data)
            return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)
        return Response(ActionItemSerializer(review.items.all(), many=True).data)

    @extend_schema(summary="Move an action item", request=ItemTransitionSerializer, responses=ActionItemSerializer,
                   description="complete (with evidence), drop (with a reason) or reopen one item of the plan.")
    @action(detail=True, methods=["post"], url_path="item-transition", url_name="item-transition")
    def item_transition(self, request, pk=None):
        review = self.review(pk)
        data = self.validated(ItemTransitionSerializer)
        item = next((i for i in review.items.all() if i.pk == data["item"]), None)
        if item is None:
            raise NotFound()
        item = services.action_item_transition(item=item, actor=request.user, name=data["transition"],
                                               note=data["note"], via=self.via)
        return Response(ActionItemSerializer(item).data)


class ActionItemFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(
        choices=ActionItemState.choices, distinct=False,
        help_text="Repeat to match any of several states: ?state=open&state=done")
    overdue = filters.BooleanFilter(method="filter_overdue",
                                    help_text="true: open items past their due date (the organisation's today); "
                                    "false: the rest.")
    owner = filters.ModelChoiceFilter(queryset=lambda request: _users())
    contract = filters.ModelChoiceFilter(field_name="review__contract", queryset=lambda request: Contract.objects.all())
    review = filters.NumberFilter(field_name="review_id")
    due_from = filters.DateFilter(field_name="due_date", lookup_expr="gte", help_text="Items due on or after this day.")
    due_to = filters.DateFilter(field_name="due_date", lookup_expr="lte", help_text="Items due on or before this day.")

    def filter_overdue(self, queryset, name, value):
        late = Q(state=ActionItemState.OPEN, due_date__lt=Tenant.objects.get(pk=current_tenant_id()).today())
        return queryset.filter(late) if value else queryset.exclude(late)


class ActionItemViewSet(mixins.ListModelMixin, TenantViewSet):
    """Every review's action items in one list (a client user: their client's), soonest due first and
    undated last; a cancelled review's items are left out. They change through the review's actions."""

    model = ActionItem
    serializer_class = ActionItemListSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "created_at", "finished_at", "state", "id"]
    search_fields = ["what"]
    http_method_names = ["get", "head", "options"]
    read_roles = PROVIDER_ROLES | CLIENT_ROLES
    write_roles = frozenset()

    def scoped_queryset(self):
        return (selectors.action_item_list(show="all", client_id=client_scope_of(self.request.user))
                .order_by(F("due_date").asc(nulls_last=True), "id"))


class MetricsQuerySerializer(serializers.Serializer):
    """`?from=&to=`: the fields carry the parameters' own names, so an error names what was sent."""

    def get_fields(self):
        return {"from": serializers.DateField(validators=[validate_date_in_range]),
                "to": serializers.DateField(validators=[validate_date_in_range])}

    def validate(self, attrs):
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The range ends before it starts.")})
        if (attrs["to"] - attrs["from"]).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"to": _("Ask for two years at most.")})
        return attrs


class ContractMetricsViewSet(TenantViewSet):
    """`/api/v1/contracts/{id}/sla-metrics/?from=&to=`: the report's figures for any date range."""

    model = Contract
    read_roles = PROVIDER_ROLES | CLIENT_ROLES
    filter_backends: list = []
    pagination_class = None
    list_query_params = ("from", "to")

    def scoped_queryset(self):
        queryset = Contract.objects.select_related("tenant")
        client_id = client_scope_of(self.request.user)
        return queryset.filter(client_id=client_id) if client_id is not None else queryset

    @extend_schema(summary="SLA metrics of a contract", responses={200: OpenApiTypes.OBJECT},
                   parameters=[OpenApiParameter("from", OpenApiTypes.DATE, required=True),
                               OpenApiParameter("to", OpenApiTypes.DATE, required=True)])
    def list(self, request, contract_id=None):
        try:
            contract = self.get_queryset().get(pk=int(contract_id))
        except (Contract.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound() from None
        query = MetricsQuerySerializer(data={"from": request.query_params.get("from"),
                                             "to": request.query_params.get("to")})
        query.is_valid(raise_exception=True)
        return Response(selectors.contract_metrics(contract=contract, date_from=query.validated_data["from"],
                                                   date_to=query.validated_data["to"]))


def register(router) -> None:
    router.register("reviews", ReviewViewSet, basename="api-review")
    router.register("action-items", ActionItemViewSet, basename="api-action-item")
    router.register(r"contracts/(?P<contract_id>\d+)/sla-metrics", ContractMetricsViewSet,
                    basename="api-contract-sla-metrics")
