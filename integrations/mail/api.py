"""Incoming e-mail in the REST API (/api/v1/mail/inbound/).

- `POST /api/v1/mail/inbound/` with a raw MIME message (`Content-Type: message/rfc822`): the
  message is taken in as if it had reached the tenant's inbound address — an order (201), a comment
  (201), held for review (202), the same message again (200, its first outcome), or refused: 400
  malformed, 413 over INBOUND_MAIL_MAX_BYTES, 422 carrying an executable (the refusal is recorded);
- `GET /api/v1/mail/inbound/`, `GET /api/v1/mail/inbound/{id}/`: the messages received and what
  became of each (`?state=held` for those waiting for review).

Authenticated by an API key (`Authorization: Bearer <key>`) created by a tenant administrator;
other roles and session logins are refused.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from tenancy.api_auth import ApiKeyAuthentication
from tenancy.api_base import ErrorSerializer, TenantViewSet
from tenancy.roles import TENANT_ADMINS

from .models import InboundMessage, InboundState
from .services import inbound_receive

REFUSAL_STATUS = {"malformed": 400, "too_large": 413, "executable": 422}


class RawMessageParser(BaseParser):
    """The request body as bytes: a raw MIME message, read up to one byte past the limit."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return b""
        return stream.read(settings.INBOUND_MAIL_MAX_BYTES + 1)


class InboundMessageSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", allow_null=True, read_only=True)
    comment = serializers.IntegerField(source="comment_id", allow_null=True, read_only=True)

    class Meta:
        model = InboundMessage
        fields = ["id", "source", "message_id", "from_address", "subject", "received_at", "state", "reason",
                  "attachment_names", "size", "order", "comment", "reviewed_at", "review_note"]
        read_only_fields = fields


class InboundFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=InboundState.choices)

    class Meta:
        model = InboundMessage
        fields = ["state"]


class InboundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = InboundMessage
    serializer_class = InboundMessageSerializer
    authentication_classes = [ApiKeyAuthentication]
    parser_classes = [RawMessageParser]
    read_roles = TENANT_ADMINS
    write_roles = TENANT_ADMINS
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = InboundFilter
    search_fields = ["subject", "from_address"]
    ordering_fields = ["received_at", "id"]

    def scoped_queryset(self):
        return InboundMessage.objects.select_related(None).defer("raw", "body").order_by("-received_at", "-id")

    @extend_schema(
        summary=gettext_lazy("Take in a raw e-mail"),
        description=gettext_lazy(
            "A raw MIME message, as it would reach the organisation's inbound address: from a client's contact "
            "it becomes an order of that client (subject, text, attachments); a reply to a notification becomes "
            "a comment on its order; anything else is held for review. Idempotent by Message-ID."),
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={
            200: OpenApiResponse(InboundMessageSerializer, description=gettext_lazy("Received before: its first outcome.")),
            201: OpenApiResponse(InboundMessageSerializer, description=gettext_lazy("An order or a comment was made.")),
            202: OpenApiResponse(InboundMessageSerializer, description=gettext_lazy("Held for an administrator's review.")),
            400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The message is malformed.")),
            413: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The message is over the size limit.")),
            415: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Send it as message/rfc822.")),
            422: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The message carries an executable.")),
        },
    )
    def create(self, request):
        raw = request.data
        if not isinstance(raw, bytes | bytearray):  # an empty body parses to an empty dict
            raw = b""
        size = None
        if len(raw) > settings.INBOUND_MAIL_MAX_BYTES:  # read only this far: the rest is not wanted
            try:
                size = max(int(request.META.get("CONTENT_LENGTH") or 0), len(raw))
            except ValueError:
                size = len(raw)
        received = inbound_receive(raw=bytes(raw), source=InboundMessage.Source.API, size=size)
        message = received.message
        body = self.serialized(message)
        if message.state == InboundState.REJECTED:
            code = received.code or "malformed"
            return Response({"code": code, "message": message.reason,
                             "errors": [{"field": None, "code": code, "message": message.reason}]},
                            status=REFUSAL_STATUS.get(code, 400))
        if received.duplicate:
            return Response(body, status=200)
        return Response(body, status=202 if message.state == InboundState.HELD else 201)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.UnsupportedMediaType):
            exc.detail = _("Send the raw message with Content-Type: message/rfc822.")
        return super().handle_exception(exc)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("mail/inbound", InboundViewSet, basename="mail-inbound")
