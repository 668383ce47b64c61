"""Quarterly, half-yearly and annual reviews of a contract with its client, the SLA report frozen with
them, the plan of action items, the timeline and the client's confirmation of minutes and plan.

A review goes `scheduled → prepared → held → closed`, or `cancelled` (with a reason) before it is
closed; its action items go `open → done | dropped`. One review per contract, kind and period: a
unique constraint, so beats running at once still make one.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from tenancy.events import Event
from tenancy.models import TenantOwned


class ReviewKind(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Half-yearly")
    ANNUAL = "annual", _("Annual")


class ReviewState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    PREPARED = "prepared", _("Prepared")
    HELD = "held", _("Held")
    CLOSED = "closed", pgettext_lazy("review state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("review state", "Cancelled")


OPEN_REVIEW_STATES = (ReviewState.SCHEDULED, ReviewState.PREPARED, ReviewState.HELD)
# the report may still change (refresh) until the meeting is held
REFRESHABLE_STATES = (ReviewState.SCHEDULED, ReviewState.PREPARED)


class Review(ConcurrentTransitionMixin, TenantOwned):
    """A review meeting of one contract for one period, with its report and plan."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="reviews",
                                 verbose_name=_("contract"))
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="reviews",
                               verbose_name=_("client"), editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=ReviewKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    proposed_meeting_date = models.DateField(_("proposed meeting date"))
    state = FSMField(_("state"), max_length=12, choices=ReviewState.choices, default=ReviewState.SCHEDULED,
                     protected=True, db_index=True)
    # the report: figures and chart data frozen when prepared (refreshed until held)
    snapshot = models.JSONField(_("report snapshot"), default=dict, blank=True)
    prepared_at = models.DateTimeField(_("report prepared at"), null=True, blank=True)
    # the meeting
    held_on = models.DateField(_("held on"), null=True, blank=True)
    provider_attendees = models.TextField(_("attendees of the provider"), blank=True)
    client_attendees = models.TextField(_("attendees of the client"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "contract", "kind", "period_start"],
                                    name="review_once_per_contract_kind_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="review_period_in_order"),
            models.CheckConstraint(condition=models.Q(proposed_meeting_date__gt=models.F("period_end")),
                                   name="review_meeting_after_period"),
        ]
        indexes = [models.Index(fields=["tenant", "state", "proposed_meeting_date"], name="review_state_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def is_frozen(self) -> bool:
        """The report is the snapshot (prepared or later), not the live figures."""
        return bool(self.snapshot) and self.state != ReviewState.SCHEDULED

    # Transitions: guard and state change only; the snapshot, checks and events are the service's.

    @transition(field=state, source=ReviewState.SCHEDULED, target=ReviewState.PREPARED,
                custom={"label": _("Prepare the report")})
    def prepare(self):
        pass

    @transition(field=state, source=ReviewState.PREPARED, target=ReviewState.HELD,
                custom={"label": _("Record the meeting")})
    def hold(self):
        pass

    @transition(field=state, source=ReviewState.HELD, target=ReviewState.CLOSED,
                custom={"label": _("Close")})
    def close(self):
        pass

    @transition(field=state, source=list(OPEN_REVIEW_STATES), target=ReviewState.CANCELLED,
                custom={"label": _("Cancel"), "note_required": True, "danger": True})
    def cancel(self):
        pass


REVIEW_TRANSITIONS = ("prepare", "hold", "close", "cancel")


class ActionItemState(models.TextChoices):
    OPEN = "open", pgettext_lazy("action item state", "Open")
    DONE = "done", pgettext_lazy("action item state", "Done")
    DROPPED = "dropped", pgettext_lazy("action item state", "Dropped")


def evidence_upload_to(item: ActionItem, filename: str) -> str:
    """Under the tenant and review, named by a random id (the client's file name is never a path)."""
    return f"reviews/{item.tenant_id}/{item.review_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class ActionItem(TenantOwned):
    """One point of a review's plan: what, who (either side), by when, and how it ended."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="items", verbose_name=_("review"))
    what = models.TextField(_("what"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    state = FSMField(_("state"), max_length=10, choices=ActionItemState.choices, default=ActionItemState.OPEN,
                     protected=True, db_index=True)
    evidence_note = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=evidence_upload_to, blank=True, max_length=255)
    evidence_file_name = models.CharField(_("file name"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["review", "id"]
        indexes = [models.Index(fields=["tenant", "state", "due_date"], name="action_item_state_due_idx")]

    def __str__(self) -> str:
        return self.what[:80]

    @transition(field=state, source=ActionItemState.OPEN, target=ActionItemState.DONE,
                custom={"label": _("Mark done")})
    def complete(self):
        pass

    @transition(field=state, source=ActionItemState.OPEN, target=ActionItemState.DROPPED,
                custom={"label": _("Drop"), "note_required": True})
    def drop(self):
        pass

    @transition(field=state, source=[ActionItemState.DONE, ActionItemState.DROPPED], target=ActionItemState.OPEN,
                custom={"label": _("Reopen")})
    def reopen(self):
        pass


ITEM_TRANSITIONS = ("complete", "drop", "reopen")


class ReviewEvent(Event):
    """The review's timeline: its transitions and those of its action items, who, when, from, to."""

    SUBJECT = "review"
    CONTRACT_PATH = "review__contract"

    class Kind(models.TextChoices):
        CREATED = "created", _("Review scheduled")
        TRANSITION = "transition", _("State changed")
        REFRESHED = "refreshed", _("Report refreshed")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CONFIRMED = "confirmed", _("Confirmed by the client")
        ITEM_CREATED = "item_created", _("Action item added")
        ITEM_CHANGED = "item_changed", _("Action item changed")
        ITEM_TRANSITION = "item_transition", _("Action item state changed")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(ActionItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)

    @property
    def kind_label(self) -> str:
        return str(dict(self.Kind.choices).get(self.kind, self.kind))

    @property
    def machine(self) -> str:
        """The state machine the event's states belong to, for their badges."""
        return "action_item" if self.kind.startswith("item_") else "review"

    def _state_label(self, state: str) -> str:
        choices = ActionItemState if self.machine == "action_item" else ReviewState
        return str(dict(choices.choices).get(state, state))

    @property
    def from_state_label(self) -> str:
        return self._state_label(self.from_state) if self.from_state else ""

    @property
    def to_state_label(self) -> str:
        return self._state_label(self.to_state) if self.to_state else ""

    class Meta(Event.Meta):
        verbose_name = _("review event")
        verbose_name_plural = _("review events")


class ReviewConfirmation(TenantOwned):
    """The client signatory's confirmation of the minutes and the plan: the evidence, as for an act."""

    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="confirmation")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=300)
    method = models.CharField(max_length=20, default="password")
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    document_sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the minutes and the plan confirmed"))
    consent_text = models.TextField()

    class Meta:
        verbose_name = _("review confirmation")
        verbose_name_plural = _("review confirmations")


class ComplianceMonth(TenantOwned):
    """The clocks of one contract's orders reported in one closed month (of the organisation's time
    zone then), by metric: how many, met (stopped without a breach) and breached. The home pages'
    trend sums them over a scope of contracts instead of counting a year of clocks at a view; counted
    again by `reviews.tasks.count_compliance` (a late clock of an old order may still stop or breach)."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="+")
    time_zone = models.CharField(max_length=64)
    month = models.DateField()  # its first day
    metric = models.CharField(max_length=16)
    clocks = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "time_zone", "month", "contract", "metric"],
                                               name="compliance_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric}: {self.met}/{self.breached} of {self.clocks}"


class CountedMonth(TenantOwned):
    """A closed month whose `ComplianceMonth` rows are counted (a month without clocks has none), and
    when it was counted last."""

    time_zone = models.CharField(max_length=64)
    month = models.DateField()
    counted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "time_zone", "month"], name="counted_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.time_zone}) at {self.counted_at:%Y-%m-%d %H:%M}"
