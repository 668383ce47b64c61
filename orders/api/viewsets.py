"""API viewsets: orders with their transitions, clocks, comments, files and history; teams.

Client-side users (client admin, signatory, viewer) see only their client's orders, only the
client-visible history and never internal comments or files; another client's order answers 404 like a
missing one. Reads come from `orders.selectors`; writes validate the body, call
`orders.services` and render what the service returns.
"""

from __future__ import annotations

from functools import cached_property

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from tenancy.api_base import TenantViewSet, transition_action
from tenancy.api_input import ApiFilterBackend
from tenancy.api_paging import PagePagination
from tenancy.api_rows import compiled, reused, statement_key
from tenancy.keyset import KeysetBase, KeysetPagination
from tenancy.roles import CLIENT_ROLES, PROVIDER_ROLES, Role, client_scope_of
from tenancy.uploads import attachment_response

from .. import selectors, services
from ..models import Order, OrderAttachment, Team
from ..services import TRANSITIONS
from . import rows as rows_module
from .filters import NullsLastOrderingFilter, OrderFilter, OrderSearchFilter, TeamFilter
from .serializers import (
    OrderAssignSerializer,
    OrderAttachmentSerializer,
    OrderAttachmentUploadSerializer,
    OrderCommentSerializer,
    OrderCreateSerializer,
    OrderEventSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
    OrderTransitionWithReasonSerializer,
    OrderUpdateSerializer,
    TeamSerializer,
)

ORDER_READERS = PROVIDER_ROLES | CLIENT_ROLES
# Viewers and accountants read; the rest raise, comment and move orders (each step its own side).
ORDER_WRITERS = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER, Role.ENGINEER, Role.CLIENT_ADMIN, Role.CLIENT_SIGNATORY})


_SIDES = {"provider": "the provider's staff", "client": "the client's users", "any": "either side"}


def _describe(sources: str, target: str, custom: dict) -> str:
    return (
        f"Moves the order from {sources} to {target}; allowed to {_SIDES[custom['side']]}. "
        + ("A `note` giving the reason is required. " if custom.get("note_required") else "")
        + "Recorded in the order's history. Answers 409 when the state does not allow it, "
        "403 when it belongs to the other side."
    )


def _transition_action(name: str):
    return transition_action(
        Order, name, description=_describe, response=OrderSerializer,
        request=lambda custom: OrderTransitionWithReasonSerializer if custom.get("note_required") else OrderTransitionSerializer,
    )


class OrderViewSet(mixins.ListModelMixin, TenantViewSet):
    """Client orders and incidents with their SLA clocks. State changes only through the actions.

    The list is sorted by the soonest due time of a running clock first (`?ordering=next_due_at`),
    orders with no running clock last (newest first). Pages are keyset pages (`?cursor=` from the
    `next`/`previous` links): the same cost on the first page and the last, however many orders.
    """

    model = Order
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    filter_backends = [ApiFilterBackend, OrderSearchFilter, NullsLastOrderingFilter]
    ordering_fields = ["next_due_at", "reported_at", "created_at", "desired_deadline", "number", "state"]
    ordering = ["next_due_at"]
    pagination_class = KeysetPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_roles = ORDER_READERS
    write_roles = ORDER_WRITERS
    conflict_actions = TRANSITIONS

    @cached_property
    def client_id(self) -> int | None:
        """The client a client-side caller is limited to; None for provider staff."""
        return client_scope_of(self.request.user)

    @property
    def client_view(self) -> bool:
        return self.client_id is not None

    def scoped_queryset(self):
        return selectors.with_attachments(selectors.order_api_list(client_id=self.client_id),
                                          client_view=self.client_view)

    def statement_scope(self):
        return self.client_id

    def list_rows(self, request):
        """The list's rows for the keyset pages: compiled once per process for the same tenant, caller
        and query (`tenancy.api_rows.statement_key`), except a search, whose statement follows how
        common its words are in the tenant (`orders.search`)."""
        paginator = self.paginator

        def fresh():
            queryset = selectors.with_files_flag(self.filter_queryset(selectors.order_api_rows(client_id=self.client_id)))
            values = compiled(queryset.select_related(None).prefetch_related(None).order_by().values(*rows_module.VALUES))
            return KeysetBase(values) if values is not None else None

        key = statement_key(self, request, paging={paginator.cursor_query_param, paginator.page_size_query_param},
                            uncached=frozenset({OrderSearchFilter.search_param}))
        base = reused(key, fresh) if key is not None else None
        if base is not None:
            return base
        return selectors.with_files_flag(self.filter_queryset(selectors.order_api_rows(client_id=self.client_id)))

    def list(self, request, *args, **kwargs):
        """The page as plain values (`orders.api.rows`): the rows `OrderSerializer` gives, built
        without a model instance or a serializer per order."""
        rows = self.paginator.paginate_queryset(self.list_rows(request), request, view=self, values=rows_module.VALUES)
        rendered = rows_module.OrderRows(request=request, client_view=self.client_view).render(rows)
        return self.paginator.get_paginated_response(rendered)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("now", timezone.now())
        context.setdefault("calendars", {})
        return context

    def order_detail(self, order_id) -> Order:
        try:
            return self.scoped_queryset().get(pk=order_id)
        except (Order.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.order_detail(pk)))

    @extend_schema(
        request=OrderCreateSerializer, responses={201: OrderSerializer},
        description="A client user raises an order or reports an incident on their active contract; provider "
        "staff may register one on the client's behalf with the time it was really reported. Sent as "
        "multipart/form-data, it may carry `attachments` (one part per file); a bad file saves nothing.",
    )
    def create(self, request):
        data = dict(self.validated(OrderCreateSerializer))
        order = services.order_create_with_attachments(actor=request.user, via=self.via,
                                                       attachments=data.pop("attachments", []), **data)
        return Response(self.serialized(self.order_detail(order.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=OrderUpdateSerializer, responses=OrderSerializer,
        description="Change scope or deadline before the plan is agreed (new, acknowledged, planned); each "
        "change is kept in the history the client sees.",
    )
    def partial_update(self, request, pk=None):
        order = self.order_detail(pk)
        services.order_update(order=order, actor=request.user, via=self.via,
                              **self.validated(OrderUpdateSerializer, partial=True))
        return Response(self.serialized(self.order_detail(order.pk)))

    def fire_transition(self, request, name: str, body=OrderTransitionSerializer):
        order = self.order_detail(self.kwargs["pk"])
        note = self.validated(body)["note"]
        services.order_transition(order=order, name=name, actor=request.user, note=note, via=self.via)
        return Response(self.serialized(self.order_detail(order.pk), OrderSerializer))

    acknowledge = _transition_action("acknowledge")
    plan = _transition_action("plan")
    agree = _transition_action("agree")
    approve = _transition_action("approve")
    start = _transition_action("start")
    start_incident = _transition_action("start_incident")
    wait_on_client = _transition_action("wait_on_client")
    resume = _transition_action("resume")
    deliver = _transition_action("deliver")
    accept = _transition_action("accept")
    send_back = _transition_action("send_back")
    cancel = _transition_action("cancel")

    @extend_schema(summary="Assign", request=OrderAssignSerializer, responses=OrderSerializer,
                   description="Provider staff route the order to a team and a person (internal: the "
                   "client's history does not show it).")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def assign(self, request, pk=None):
        order = self.order_detail(pk)
        services.order_assign(order=order, actor=request.user, via=self.via, **self.validated(OrderAssignSerializer))
        return Response(self.serialized(self.order_detail(order.pk), OrderSerializer))

    @extend_schema(
        summary="History", responses=OrderEventSerializer(many=True),
        description="The order's append-only history, oldest first: creation, every transition (who, when, "
        "from, to, note), scope and deadline changes, assignment. Client users see only client-visible events.",
    )
    @action(detail=True, methods=["get"], serializer_class=OrderEventSerializer, filter_backends=[],
            pagination_class=PagePagination)
    def events(self, request, pk=None):
        order = self.order_detail(pk)
        page = self.paginate_queryset(selectors.order_timeline(order=order, client_view=self.client_view))
        return self.get_paginated_response(OrderEventSerializer(page, many=True).data)

    @extend_schema(methods=["get"], summary="Comments", responses=OrderCommentSerializer(many=True),
                   description="Oldest first. Client users never see internal comments.")
    @extend_schema(methods=["post"], summary="Comment", request=OrderCommentSerializer,
                   responses={201: OrderCommentSerializer},
                   description="Provider staff may mark a comment internal; a client user's comment is "
                   "always visible to both sides.")
    @action(detail=True, methods=["get", "post"], serializer_class=OrderCommentSerializer, filter_backends=[],
            pagination_class=PagePagination)
    def comments(self, request, pk=None):
        order = self.order_detail(pk)
        if request.method == "POST":
            data = self.validated(OrderCommentSerializer)
            comment = services.order_comment(order=order, actor=request.user, body=data["body"],
                                             internal=data.get("internal", False))
            return Response(OrderCommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.order_comments(order=order, client_view=self.client_view))
        return self.get_paginated_response(OrderCommentSerializer(page, many=True).data)


    @extend_schema(methods=["get"], summary="Files", responses=OrderAttachmentSerializer(many=True),
                   description="The order's files (metadata), oldest first. Client users never see internal "
                   "ones. Each has a `download_url`.")
    @extend_schema(methods=["post"], summary="Attach a file", request=OrderAttachmentUploadSerializer,
                   responses={201: OrderAttachmentSerializer},
                   description="Either side attaches one file (multipart/form-data, field `file`): PDF, PNG, "
                   "JPEG, GIF, WebP, TXT, LOG, CSV, XLSX, DOCX, ZIP or EML, not empty, at most 10 MB, at most 10 "
                   "files per order. Provider staff may mark it `internal` (hidden from the client); a client "
                   "user's file is always visible to both sides. Recorded in the order's history.")
    @action(detail=True, methods=["get", "post"], serializer_class=OrderAttachmentSerializer, filter_backends=[],
            parser_classes=[MultiPartParser], pagination_class=PagePagination)
    def attachments(self, request, pk=None):
        order = self.order_detail(pk)
        if request.method == "POST":
            data = self.validated(OrderAttachmentUploadSerializer)
            attachment = services.order_attach(order=order, actor=request.user, upload=data["file"],
                                               internal=data["internal"], via=self.via)
            return Response(OrderAttachmentSerializer(attachment, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.order_attachments(order=order, client_view=self.client_view))
        return self.get_paginated_response(
            OrderAttachmentSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Download a file",
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiResponse(
            OpenApiTypes.BINARY,
            description="The file, as an attachment under its original name (`Content-Disposition`). PDFs and "
            "images come with their own content type, everything else as application/octet-stream.")},
        description="The bytes of one of the order's files. An internal file asked for by a client user is "
        "the same 404 as a missing one.",
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)/download",
            url_name="download-attachment", filter_backends=[], pagination_class=None)
    def download_attachment(self, request, pk=None, attachment_id=None):
        order = self.order_detail(pk)
        try:
            attachment = selectors.order_attachment_get(order=order, attachment_id=attachment_id,
                                                        client_view=self.client_view)
        except OrderAttachment.DoesNotExist:
            raise NotFound() from None
        return attachment_response(attachment)

    def perform_content_negotiation(self, request, force=False):
        # A download answers whatever the client accepts (application/pdf, */*…); its errors stay JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "download_attachment")


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The provider's teams (contact point, resolution) with their members. Read-only here:
    teams are managed by the tenant administrator."""

    model = Team
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    search_fields = ["name"]
    ordering_fields = ["name", "id"]

    def scoped_queryset(self):
        return selectors.team_list()
