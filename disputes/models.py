"""Disputes: a disputed act, an invoice line or a client complaint, taken through negotiation →
mediation → arbitration, each stage with a deadline from the contract, ending resolved (with the
compensation the parties agreed, credited on the next invoice) or withdrawn.

The stage deadline is a date in the tenant's zone: a stage whose deadline has passed (the day
after it) escalates to the next stage and its owner (`disputes.services.disputes_escalate_overdue`).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from tenancy.events import Event
from tenancy.models import TenantOwned

ZERO = Decimal("0.00")


class Side(models.TextChoices):
    PROVIDER = "provider", _("Provider")
    CLIENT = "client", _("Client")


class DisputeKind(models.TextChoices):
    ACT = "act", _("Act of completed work")
    INVOICE_LINE = "invoice_line", _("Invoice line")
    COMPLAINT = "complaint", _("Complaint")


class DisputeState(models.TextChoices):
    NEGOTIATION = "negotiation", _("Negotiation")
    MEDIATION = "mediation", _("Mediation")
    ARBITRATION = "arbitration", _("Arbitration")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (DisputeState.NEGOTIATION, DisputeState.MEDIATION, DisputeState.ARBITRATION)
STAGES = OPEN_STATES  # in order
NEXT_STAGE = {DisputeState.NEGOTIATION: DisputeState.MEDIATION, DisputeState.MEDIATION: DisputeState.ARBITRATION}
# the contract's term that sets each stage's deadline
STAGE_DAYS = {
    DisputeState.NEGOTIATION: "dispute_negotiation_days",
    DisputeState.MEDIATION: "dispute_mediation_days",
    DisputeState.ARBITRATION: "dispute_arbitration_days",
}
_OPEN = [s.value for s in OPEN_STATES]


class Dispute(ConcurrentTransitionMixin, TenantOwned):
    """One dispute between the provider and a client under a contract."""

    number = models.CharField(_("number"), max_length=30)
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="disputes",
                                 verbose_name=_("contract"))
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="disputes",
                               verbose_name=_("client"), editable=False)
    kind = models.CharField(_("subject"), max_length=12, choices=DisputeKind.choices)
    act = models.ForeignKey("confirmations.Act", on_delete=models.PROTECT, null=True, blank=True,
                            related_name="disputes", verbose_name=_("act"))
    invoice_line = models.ForeignKey("billing.InvoiceLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="disputes", verbose_name=_("invoice line"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"))
    opened_side = models.CharField(_("opened by side"), max_length=10, choices=Side.choices)
    claimed_amount = models.DecimalField(_("claimed amount"), max_digits=14, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(ZERO)],
                                         help_text=_("What the opening side claims, without VAT (optional)."))
    state = FSMField(_("stage"), max_length=12, choices=DisputeState.choices, default=DisputeState.NEGOTIATION,
                     protected=True, db_index=True)
    stage_started_on = models.DateField(_("stage started on"))
    stage_deadline = models.DateField(_("stage deadline"),
                                      help_text=_("The day after it the dispute escalates to the next stage."))
    resolution_note = models.TextField(_("resolution"), blank=True)
    compensation = models.DecimalField(_("compensation"), max_digits=14, decimal_places=2, default=ZERO,
                                       validators=[MinValueValidator(ZERO)],
                                       help_text=_("Agreed compensation without VAT, credited on the next invoice; "
                                                   "0 = none."))
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    escalation_alerted_at = models.DateTimeField(null=True, blank=True, editable=False,
                                                 help_text="when the administrators were told that arbitration is overdue")
    created_at = models.DateTimeField(_("opened at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="dispute_number_unique_per_tenant"),
            models.CheckConstraint(
                name="dispute_subject_matches_kind",
                condition=(models.Q(kind="act", act__isnull=False, invoice_line__isnull=True)
                           | models.Q(kind="invoice_line", act__isnull=True, invoice_line__isnull=False)
                           | models.Q(kind="complaint", act__isnull=True, invoice_line__isnull=True)),
            ),
            models.CheckConstraint(name="dispute_claimed_not_negative",
                                   condition=models.Q(claimed_amount__isnull=True) | models.Q(claimed_amount__gte=0)),
            models.CheckConstraint(name="dispute_compensation_not_negative", condition=models.Q(compensation__gte=0)),
            # one open dispute per disputed act (the client disputing the act again joins it)
            models.UniqueConstraint(fields=["act", "tenant"], condition=models.Q(state__in=_OPEN),
                                    name="dispute_one_open_per_act"),
            models.UniqueConstraint(fields=["invoice_line", "tenant"], condition=models.Q(state__in=_OPEN),
                                    name="dispute_one_open_per_invoice_line"),
        ]
        indexes = [
            # the escalation task: open disputes past their stage deadline
            models.Index(fields=["tenant", "stage_deadline"], condition=models.Q(state__in=_OPEN),
                         name="dispute_open_deadline_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def next_stage(self) -> str | None:
        return NEXT_STAGE.get(self.state)

    # Transitions: guard and state change only; deadlines, owners and events are the service's.

    @transition(field=state, source=DisputeState.NEGOTIATION, target=DisputeState.MEDIATION,
                custom={"label": _("Escalate to mediation")})
    def to_mediation(self):
        pass

    @transition(field=state, source=DisputeState.MEDIATION, target=DisputeState.ARBITRATION,
                custom={"label": _("Escalate to arbitration")})
    def to_arbitration(self):
        pass

    @transition(field=state, source=_OPEN, target=DisputeState.RESOLVED, custom={"label": _("Resolve")})
    def resolve(self):
        pass

    @transition(field=state, source=_OPEN, target=DisputeState.WITHDRAWN, custom={"label": _("Withdraw")})
    def withdraw(self):
        pass


def document_upload_to(document: DisputeDocument, filename: str) -> str:
    """Under its tenant and dispute, named by a random id; only the checked extension is kept."""
    return f"disputes/{document.tenant_id}/{document.dispute_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class DisputeDocument(TenantOwned):
    """A file either side adds to a dispute. Served only through the dispute's download views."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="documents",
                                verbose_name=_("dispute"))
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dispute document")
        verbose_name_plural = _("dispute documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class DisputeComment(TenantOwned):
    """A message in the dispute's thread; both sides see every message."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="comments",
                                verbose_name=_("dispute"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dispute message")
        verbose_name_plural = _("dispute messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class DisputeCreditNote(TenantOwned):
    """The link between a resolved dispute and a credit note that pays its compensation (a credit
    note credits one dispute; a dispute may take several notes when one invoice is too small)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="credit_links",
                                verbose_name=_("dispute"))
    credit_note = models.OneToOneField("billing.CreditNote", on_delete=models.PROTECT, related_name="dispute_link",
                                       verbose_name=_("credit note"))
    amount = models.DecimalField(_("amount without VAT"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dispute credit note")
        verbose_name_plural = _("dispute credit notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id} → {self.credit_note_id}"


class DisputeEvent(Event):
    """The dispute's timeline, which both sides see."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        TRANSITION = "transition", _("Stage changed")
        DEADLINE = "deadline", _("Deadline changed")
        DOCUMENT = "document", _("Document added")
        ALERT = "alert", _("Overdue alert")
        ACT_DISPUTED_AGAIN = "act_disputed", _("Act disputed again")
        CREDIT_NOTE = "credit_note", _("Credit note")

    SUBJECT = "dispute"
    CONTRACT_PATH: ClassVar[str] = "dispute__contract"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True, choices=DisputeState.choices)
    to_state = models.CharField(_("to"), max_length=20, blank=True, choices=DisputeState.choices)

    class Meta(Event.Meta):
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute events")
