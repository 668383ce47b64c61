"""Serializers of the orders API: they validate input and render output, and never save.

Related ids resolve inside the current tenant, and for a client-side user inside their client,
so another tenant's (or another client's) id reads exactly like one that was never used.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.models import Contract
from sla.models import Metric, Priority
from sla.selectors import ClockState, clock_status
from tenancy.api_base import DateTimeField, TenantRelatedField
from tenancy.bounds import TEXT_MAX_LENGTH
from tenancy.models import ApiKey
from tenancy.roles import client_scope_of
from tenancy.selectors import provider_staff

from ..models import Order, OrderAttachment, OrderComment, OrderEvent, Team, TeamMember
from ..selectors import order_attachments
from ..services import MAX_ATTACHMENTS_PER_ORDER, TRANSITIONS, order_side


def _teams():
    return Team.objects.all()


def _label(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _seconds(value) -> int:
    return int(value.total_seconds())


class ClientContractField(TenantRelatedField):
    """A contract of the current tenant; for a client-side user, only their client's contracts."""

    def get_queryset(self):
        queryset = Contract.objects.all()
        request = self.context.get("request")
        client_id = client_scope_of(request.user) if request is not None else None
        return queryset if client_id is None else queryset.filter(client_id=client_id)


# --- clocks -----------------------------------------------------------------------------------


class ClockSerializer(serializers.Serializer):
    """One SLA clock as it stands now. Durations are business time in seconds (the calendar's
    working hours, or 24×7), so they compare directly with the target."""

    metric = serializers.ChoiceField(choices=Metric.choices)
    state = serializers.ChoiceField(
        choices=ClockState.choices,
        help_text=_("running; paused (waiting on the client or force majeure); met (stopped in time); "
                    "warned (past the warning threshold); breached (past due)."),
    )
    target_seconds = serializers.SerializerMethodField()
    elapsed_seconds = serializers.SerializerMethodField()
    paused_seconds = serializers.SerializerMethodField(help_text=_("Business time the clock has stood still."))
    time_left_seconds = serializers.SerializerMethodField(help_text=_("Negative once past due."))
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True, help_text=_("Null while paused and once stopped."))
    paused_since = serializers.DateTimeField(allow_null=True)
    warned_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)

    def get_target_seconds(self, status) -> int:
        return _seconds(status.target)

    def get_elapsed_seconds(self, status) -> int:
        return _seconds(status.elapsed)

    def get_paused_seconds(self, status) -> int:
        return _seconds(status.paused_time)

    def get_time_left_seconds(self, status) -> int:
        return _seconds(status.time_left)


# --- attachments ------------------------------------------------------------------------------


class OrderAttachmentSerializer(serializers.ModelSerializer):
    """A file's metadata; the bytes come from `download_url` (same authentication)."""

    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True, help_text=_("Decided by the file's extension."))
    size = serializers.IntegerField(read_only=True, help_text=_("Bytes."))
    sha256 = serializers.CharField(read_only=True, help_text=_("Hex SHA-256 of the content, to check a download."))
    internal = serializers.BooleanField(read_only=True, help_text=_("Provider staff only: hidden from the client."))
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = OrderAttachment
        fields = ["id", "name", "content_type", "size", "sha256", "internal", "uploaded_by", "uploaded_by_name",
                  "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_uploaded_by_name(self, attachment) -> str:
        return _label(attachment.uploaded_by)

    def get_download_url(self, attachment) -> str:
        url = reverse("api-order-download-attachment", args=[attachment.order_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class OrderAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service says why an empty file is refused
        help_text=_("PDF, PNG, JPEG, GIF, WebP, TXT, LOG, CSV, XLSX, DOCX, ZIP or EML; at most "
                    "ORDER_ATTACHMENT_MAX_BYTES (10 MB by default)."),
    )
    internal = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Provider staff only: hidden from the client. Always false for client users."),
    )


# --- orders -----------------------------------------------------------------------------------


class OrderSerializer(serializers.ModelSerializer):
    """An order with its clocks and what the caller may do next (list, detail and write answers)."""

    kind = serializers.CharField(read_only=True, help_text=_("request or incident."))
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    team_name = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    reported_by_name = serializers.SerializerMethodField()
    next_due_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                            help_text=_("The soonest due time of a running clock."))
    breached = serializers.BooleanField(source="is_breached", read_only=True)
    clocks = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id", "number", "kind", "title", "description", "expected_result", "priority", "desired_deadline",
            "state", "contract", "contract_number", "client", "client_name", "team", "team_name",
            "assignee", "assignee_name", "reported_at", "reported_by", "reported_by_name", "created_at",
            "next_due_at", "breached", "clocks", "available_transitions", "attachments",
        ]
        read_only_fields = fields

    def get_team_name(self, order) -> str:
        return order.team.name if order.team_id else ""

    def get_assignee_name(self, order) -> str:
        return _label(order.assignee)

    def get_reported_by_name(self, order) -> str:
        return _label(order.reported_by)

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, order) -> list:
        now = self.context.get("now") or timezone.now()
        calendars = self.context.setdefault("calendars", {})
        clocks = sorted(order.clocks.all(), key=lambda c: [Metric.RESPONSE, Metric.RESOLUTION].index(c.metric))
        return ClockSerializer([clock_status(c, now=now, calendars=calendars) for c in clocks], many=True).data

    @extend_schema_field(OrderAttachmentSerializer(many=True))
    def get_attachments(self, order) -> list:
        """The files the caller may see (a client user never sees internal ones), oldest first."""
        attachments = getattr(order, "visible_attachments", None)
        if attachments is None:  # not prefetched (the viewset does): one query for this order
            request = self.context.get("request")
            client_view = request is None or client_scope_of(request.user) is not None
            attachments = order_attachments(order=order, client_view=client_view)
        return OrderAttachmentSerializer(attachments, many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TRANSITIONS)))
    def get_available_transitions(self, order) -> list[str]:
        """Actions the caller may fire now: allowed from the state, conditions met, caller's side.

        The action of `wait_on_client` is at `…/wait-on-client/` (underscores become hyphens).
        """
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return []
        if isinstance(request.auth, ApiKey) and not request.auth.allows(ApiKey.Scope.WRITE):
            return []
        side = order_side(actor=request.user, order=order)
        if side is None:
            return []
        names = {t.name for t in order.get_available_state_transitions() if t.custom.get("side") in ("any", side)}
        return [name for name in TRANSITIONS if name in names]


class OrderCreateSerializer(serializers.Serializer):
    contract = ClientContractField(help_text=_("An active contract (for a client user: of their client)."))
    kind = serializers.ChoiceField(choices=Order.Kind.choices, default=Order.Kind.REQUEST)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)
    expected_result = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    desired_deadline = DateTimeField(required=False, allow_null=True, default=None)
    reported_at = DateTimeField(
        required=False, allow_null=True, default=None,
        help_text=_("Provider staff registering an order on the client's behalf: when the client really "
                    "reported it (up to 30 days back, not in the future); the clocks start there. "
                    "Ignored for client users, whose orders count from now."),
    )
    team = TenantRelatedField(scope=_teams, required=False, allow_null=True, default=None,
                              help_text=_("Provider staff only: the team to route the order to."))
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list,
        max_length=MAX_ATTACHMENTS_PER_ORDER,
        help_text=_("Optional files, when the order is sent as multipart/form-data (repeat the field per "
                    "file). The same types and size limit as `…/attachments/`; one bad file and nothing is saved."),
    )


class OrderUpdateSerializer(serializers.Serializer):
    """Scope and deadline; each change is kept in the history the client sees."""

    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX_LENGTH)
    expected_result = serializers.CharField(allow_blank=True, max_length=TEXT_MAX_LENGTH)
    priority = serializers.ChoiceField(choices=Priority.choices)
    desired_deadline = DateTimeField(allow_null=True)


class OrderAssignSerializer(serializers.Serializer):
    team = TenantRelatedField(scope=_teams, allow_null=True)
    assignee = TenantRelatedField(scope=provider_staff, allow_null=True, required=False, default=None,
                                  help_text=_("A member of the provider's staff."))


class OrderTransitionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="",
        help_text=_("Recorded with the transition in the order's history."),
    )


class OrderTransitionWithReasonSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=4000, help_text=_("The reason, recorded with the transition in the order's history."),
    )


class OrderEventSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "transition", "from_state", "to_state", "actor", "actor_label", "at", "note",
                  "data", "client_visible"]
        read_only_fields = fields


class OrderCommentSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()
    internal = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Provider staff only: hidden from the client. Always false for client users."),
    )

    class Meta:
        model = OrderComment
        fields = ["id", "body", "internal", "author", "author_name", "created_at"]
        read_only_fields = ["author", "created_at"]
        extra_kwargs = {"body": {"max_length": 20000}}

    def get_author_name(self, comment) -> str:
        return _label(comment.author)


# --- teams ------------------------------------------------------------------------------------


class TeamMemberSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = TeamMember
        fields = ["user", "name"]
        read_only_fields = fields

    def get_name(self, member) -> str:
        return _label(member.user)


class TeamSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    members = TeamMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "provider", "provider_name", "members"]
        read_only_fields = fields
