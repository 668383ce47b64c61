"""Client orders and incidents, their teams, state machine, comments and history."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from sla.models import Priority
from tenancy.events import Event
from tenancy.models import Tenant, TenantOwned


class Team(TenantOwned):
    class Kind(models.TextChoices):
        CONTACT_POINT = "contact_point", _("Contact point")
        RESOLUTION = "resolution", _("Resolution")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESOLUTION)
    provider = models.ForeignKey("contracts.Provider", on_delete=models.PROTECT, related_name="teams",
                                 verbose_name=_("provider"), help_text=_("Own organisation or a subcontractor."))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams",
                                     through="TeamMember", verbose_name=_("members"))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="team_name_unique_per_tenant")]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantOwned):
    """A user in a team (an explicit table so that it carries the tenant and its RLS policy)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user", "tenant"], name="team_member_once")]


class OrderState(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    PLANNED = "planned", _("Planned")
    AGREED = "agreed", _("Agreed")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CLIENT = "waiting_on_client", _("Waiting on client")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted")
    REWORK = "rework", _("Rework")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = [
    OrderState.NEW, OrderState.ACKNOWLEDGED, OrderState.PLANNED, OrderState.AGREED, OrderState.APPROVED,
    OrderState.IN_PROGRESS, OrderState.WAITING_ON_CLIENT, OrderState.REWORK,
]
PROVIDER, CLIENT = "provider", "client"


class Order(ConcurrentTransitionMixin, TenantOwned):
    """A client's work request or incident under a contract, with its SLA clocks."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Work request")
        INCIDENT = "incident", _("Incident")

    # No index of its own on the tenant, the contract, the client, the team or the state: each is the
    # head of a list index below, after the tenant (which every query names, and row-level security
    # adds), and the composite foreign keys `(tenant_id, x_id)` are checked through them. Fewer indexes
    # are less work on every write of an order, the sweep's breach marks included (orders 0010).
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, editable=False, related_name="+",
                               verbose_name=_("tenant"), db_index=False)
    number = models.CharField(_("number"), max_length=30)
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("contract"), db_index=False)
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="orders",
                               verbose_name=_("client"), editable=False, db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REQUEST)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    expected_result = models.TextField(_("expected result"), blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    desired_deadline = models.DateTimeField(_("desired deadline"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now,
                                       help_text=_("When the client actually reported it; the clocks start here."))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("reported by"))
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders",
                             verbose_name=_("team"), db_index=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="assigned_orders", verbose_name=_("assignee"))
    state = FSMField(_("state"), max_length=20, choices=OrderState.choices, default=OrderState.NEW,
                     protected=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # What the lists sort and filter by, kept by the database in the transaction that changes a clock
    # (triggers on sla_slaclock, migration 0004): the soonest due time of a running clock, and whether
    # any clock was breached. Never written by the application.
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True, editable=False)
    is_breached = models.BooleanField(_("breached"), default=False, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-reported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="order_number_unique_per_tenant")]
        # One index per sort and per list filter, each starting with the tenant and ending with the
        # sort's keys, so a page is an index range whatever the table's size (orders.selectors).
        indexes = [
            models.Index(fields=["tenant", "next_due_at", "id"], name="order_due"),
            models.Index(fields=["tenant", "reported_at", "id"], name="order_reported"),
            models.Index(fields=["tenant", "state", "next_due_at", "id"], name="order_state_due"),
            models.Index(fields=["tenant", "client", "next_due_at", "id"], name="order_client_due"),
            models.Index(fields=["tenant", "contract", "next_due_at", "id"], name="order_contract_due"),
            models.Index(fields=["tenant", "team", "next_due_at", "id"], name="order_team_due"),
            models.Index(fields=["tenant", "assignee", "next_due_at", "id"], name="order_assignee_due"),
            models.Index(fields=["tenant", "is_breached", "next_due_at", "id"], name="order_breached_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    DB_KEPT = ("next_due_at", "is_breached")  # written by the database's triggers, never by a save

    def save(self, *args, **kwargs):
        """Save without the columns the database keeps: a copy in memory read before a clock
        changed must not write its stale `next_due_at` back."""
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [f.name for f in self._meta.concrete_fields if not f.primary_key]
            kwargs["update_fields"] = [name for name in fields if name not in self.DB_KEPT]
        super().save(*args, **kwargs)

    # Transitions: guard and state change only; `custom["side"]` says who may fire it.
    @transition(field=state, source=OrderState.NEW, target=OrderState.ACKNOWLEDGED, custom={"side": PROVIDER, "label": _("Acknowledge")})
    def acknowledge(self):
        pass

    @transition(field=state, source=OrderState.ACKNOWLEDGED, target=OrderState.PLANNED, custom={"side": PROVIDER, "label": _("Plan")})
    def plan(self):
        pass

    @transition(field=state, source=OrderState.PLANNED, target=OrderState.AGREED, custom={"side": CLIENT, "label": _("Agree to the plan")})
    def agree(self):
        pass

    @transition(field=state, source=OrderState.AGREED, target=OrderState.APPROVED, custom={"side": PROVIDER, "label": _("Approve")})
    def approve(self):
        pass

    @transition(field=state, source=[OrderState.APPROVED, OrderState.REWORK], target=OrderState.IN_PROGRESS,
                custom={"side": PROVIDER, "label": _("Start work")})
    def start(self):
        pass

    @transition(field=state, source=OrderState.ACKNOWLEDGED, target=OrderState.IN_PROGRESS,
                conditions=[lambda o: o.kind == Order.Kind.INCIDENT], custom={"side": PROVIDER, "label": _("Start work on the incident")})
    def start_incident(self):
        pass

    @transition(field=state, source=OrderState.IN_PROGRESS, target=OrderState.WAITING_ON_CLIENT,
                custom={"side": PROVIDER, "label": _("Wait for the client"), "note_required": True})
    def wait_on_client(self):
        pass

    @transition(field=state, source=OrderState.WAITING_ON_CLIENT, target=OrderState.IN_PROGRESS,
                custom={"side": "any", "label": _("Resume work")})
    def resume(self):
        pass

    @transition(field=state, source=OrderState.IN_PROGRESS, target=OrderState.DELIVERED, custom={"side": PROVIDER, "label": _("Deliver")})
    def deliver(self):
        pass

    @transition(field=state, source=OrderState.DELIVERED, target=OrderState.ACCEPTED, custom={"side": CLIENT, "label": _("Accept")})
    def accept(self):
        pass

    @transition(field=state, source=OrderState.DELIVERED, target=OrderState.REWORK,
                custom={"side": CLIENT, "label": _("Send back for rework"), "note_required": True})
    def send_back(self):
        pass

    @transition(field=state, source=OPEN_STATES, target=OrderState.CANCELLED,
                custom={"side": "any", "label": _("Cancel"), "note_required": True, "danger": True})
    def cancel(self):
        pass


class OrderEvent(Event):
    """Append-only history of an order: transitions, scope and deadline changes, assignment."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("order event", "Created")
        TRANSITION = "transition", _("State changed")
        CHANGED = "changed", _("Changed")
        ASSIGNED = "assigned", _("Assigned")
        ATTACHED = "attached", _("File attached")

    SUBJECT = "order"
    CONTRACT_PATH = "order__contract"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True, choices=OrderState.choices)
    to_state = models.CharField(_("to"), max_length=20, blank=True, choices=OrderState.choices)
    client_visible = models.BooleanField(default=True)

    class Meta(Event.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")


class OrderComment(TenantOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    internal = models.BooleanField(_("internal"), default=False, help_text=_("Hidden from the client."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]


def attachment_upload_to(attachment: OrderAttachment, filename: str) -> str:
    """Where an attachment is stored: under its tenant and order, named by a random id.

    The client's file name is never part of the path (it lives in `original_name`); only the
    extension, already checked against the allow-list, is kept.
    """
    return (f"orders/{attachment.tenant_id}/{attachment.order_id}/"
            f"{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}")


class OrderAttachment(TenantOwned):
    """A file attached to an order by either side. Internal ones are the provider's alone.

    Files are never served from a public URL: only the order's download view, which checks the
    tenant and the side, hands them out.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attachments",
                              verbose_name=_("order"))
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    internal = models.BooleanField(_("internal"), default=False, help_text=_("Hidden from the client."))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class OrderSearchTerm(TenantOwned):
    """One word of an order (its number, title or description), lower-cased: what the order search
    matches by prefix (`orders.search`). Written by the order services in the order's transaction."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="search_terms")
    term = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["tenant", "term", "order"], name="order_search_term")]

    def __str__(self) -> str:
        return self.term
