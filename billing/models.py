"""Rating bands, invoices with their lines and evidence, credit notes, numbering and the audit trail.

An invoice goes `draft → issued → paid | void` (a draft may also be voided). While a draft it is
rebuilt from its evidence as often as needed; once issued it never changes — corrections are
credit notes. Numbers are given at issue, gapless per tenant and year in the tenant's time zone,
by the numbering service (`tenancy.numbering`). Money is `Decimal`; the arithmetic lives in `billing.calc`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from tenancy.events import Event
from tenancy.models import TenantOwned

ZERO = Decimal("0.00")


class RatingBand(TenantOwned):
    """One row of a contract's quality table: from `min_rating` (inclusive) up to the next band,
    the quality-linked share of the fee changes by `adjustment_pct` (negative = reduction)."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="rating_bands",
                                 verbose_name=_("contract"))
    min_rating = models.DecimalField(_("mean rating from"), max_digits=3, decimal_places=2,
                                     validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))])
    adjustment_pct = models.DecimalField(_("adjustment of the quality-linked share, %"), max_digits=5, decimal_places=2,
                                         validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("100"))])

    class Meta:
        verbose_name = _("rating band")
        verbose_name_plural = _("rating bands")
        ordering = ["contract", "-min_rating"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "min_rating", "tenant"], name="rating_band_once_per_threshold"),
            models.CheckConstraint(condition=models.Q(min_rating__gte=1, min_rating__lte=5),
                                   name="rating_band_min_rating_1_to_5"),
            models.CheckConstraint(condition=models.Q(adjustment_pct__gte=-100, adjustment_pct__lte=100),
                                   name="rating_band_adjustment_in_range"),
        ]

    def __str__(self) -> str:
        return f"≥ {self.min_rating}: {self.adjustment_pct:+} %"


class InvoiceState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


CLIENT_VISIBLE_STATES = (InvoiceState.ISSUED, InvoiceState.PAID)


class Invoice(ConcurrentTransitionMixin, TenantOwned):
    """The invoice of one contract for one period (a calendar month)."""

    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        EN = "en", _("English")

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="invoices",
                                 verbose_name=_("contract"))
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="invoices",
                               verbose_name=_("client"), editable=False)
    number = models.CharField(_("number"), max_length=30, blank=True, help_text=_("Given when the invoice is issued."))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    currency = models.CharField(_("currency"), max_length=3)
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2)
    fee = models.DecimalField(_("fee"), max_digits=14, decimal_places=2, default=ZERO)
    mean_rating = models.DecimalField(_("mean rating"), max_digits=4, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    subtotal = models.DecimalField(_("amount without VAT"), max_digits=14, decimal_places=2, default=ZERO)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=ZERO)
    state = FSMField(_("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.DRAFT,
                     protected=True, db_index=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    built_at = models.DateTimeField(_("built at"), default=timezone.now)
    # what the lines were computed from (amounts and evidence ids): a rebuild that finds the same
    # fingerprint changes nothing, so running the build again is a no-op
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    was_created: bool = False  # on the invoice `invoice_build` returns: built now, not found already built

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], condition=~models.Q(number=""),
                                    name="invoice_number_unique_per_tenant"),
            models.UniqueConstraint(fields=["contract", "period_start", "period_end", "tenant"],
                                    name="invoice_once_per_contract_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="invoice_period_in_order"),
            models.CheckConstraint(condition=models.Q(state__in=["draft", "void"]) | ~models.Q(number=""),
                                   name="invoice_numbered_once_issued"),
        ]
        indexes = [models.Index(fields=["tenant", "period_start", "state"], name="invoice_period_state_idx")]

    def __str__(self) -> str:
        return self.number or _("Draft invoice %(period)s") % {"period": f"{self.period_start:%Y-%m}"}

    @property
    def is_draft(self) -> bool:
        return self.state == InvoiceState.DRAFT

    # Transitions: guard and state change only; numbering, dates and events are the service's.

    @transition(field=state, source=InvoiceState.DRAFT, target=InvoiceState.ISSUED,
                custom={"label": _("Issue")})
    def issue(self):
        pass

    @transition(field=state, source=InvoiceState.ISSUED, target=InvoiceState.PAID,
                custom={"label": _("Mark paid")})
    def pay(self):
        pass

    @transition(field=state, source=[InvoiceState.DRAFT, InvoiceState.ISSUED], target=InvoiceState.VOID,
                custom={"label": pgettext_lazy("button", "Void"), "note_required": True, "danger": True})
    def void(self):
        pass


INVOICE_TRANSITIONS = ("issue", "pay", "void")


class LineKind(models.TextChoices):
    FEE = "fee", _("Fee")
    ORDER = "order", _("Order")
    QUALITY = "quality", _("Quality adjustment")
    PENALTY = "penalty", _("SLA penalty")
    PENALTY_CAP = "penalty_cap", _("Penalty cap")


ADJUSTMENT_KINDS = (LineKind.QUALITY, LineKind.PENALTY, LineKind.PENALTY_CAP)


class InvoiceLine(TenantOwned):
    """One line; adjustments keep the evidence behind them (acts, confirmations, breaches)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=500)
    amount = models.DecimalField(_("amount without VAT"), max_digits=14, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    breach = models.ForeignKey("sla.Breach", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("breach"),
                               help_text=_("The breach a penalty line charges for."))
    acts = models.ManyToManyField("confirmations.Act", through="InvoiceLineAct", related_name="+", blank=True)
    confirmations = models.ManyToManyField("confirmations.Confirmation", through="InvoiceLineConfirmation",
                                           related_name="+", blank=True)
    breaches = models.ManyToManyField("sla.Breach", through="InvoiceLineBreach", related_name="+", blank=True)
    # the numbers the description is made of, so that it reads in the reader's language
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position", "tenant"], name="invoice_line_position_once")]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"

    @property
    def total(self) -> Decimal:
        return self.amount + self.vat

    @property
    def is_adjustment(self) -> bool:
        return self.kind in ADJUSTMENT_KINDS

    def describe(self) -> str:
        """The description in the active language (the stored one is in the site's default)."""
        return describe_line(self.kind, self.data) or self.description


MONEY_KEYS = ("fee", "base", "cap", "penalties", "excess")


def _localised(data: dict) -> dict:
    """`data` with its amounts grouped (`96 000,00`) and its decimals written as the active language
    writes them (a comma in Russian): the stored values are machine strings like "96000.00"."""
    from tenancy.money import format_amount

    out = dict(data)
    for key in MONEY_KEYS:
        if out.get(key) not in (None, ""):
            out[key] = format_amount(out[key])
    if (translation.get_language() or "").startswith("ru"):
        for key in ("mean", "pct"):
            if isinstance(out.get(key), str | float):
                out[key] = str(out[key]).replace(".", ",")
    return out


def describe_line(kind: str, data: dict) -> str:
    """A line's description from its `data`. A part of a month (the contract started or ended in it,
    or an amendment split it) names its dates and days: `start`, `end`, `days`, `month_days`, `fee`."""
    from django.utils.translation import gettext, ngettext

    data = _localised(data or {})
    try:
        if kind == LineKind.FEE and "days" in data:
            return ngettext(
                "Services under contract %(contract)s for %(start)s–%(end)s: %(days)s of %(month_days)s day "
                "of the monthly fee %(fee)s",
                "Services under contract %(contract)s for %(start)s–%(end)s: %(days)s of %(month_days)s days "
                "of the monthly fee %(fee)s",
                int(data["month_days"]),
            ) % data
        if kind == LineKind.FEE:
            return gettext("Services under contract %(contract)s for %(period)s") % data
        if kind == LineKind.QUALITY and "start" in data:
            return ngettext(
                "Quality adjustment for %(start)s–%(end)s: mean rating %(mean)s from %(count)s rating, "
                "%(pct)s %% of the quality-linked share %(base)s",
                "Quality adjustment for %(start)s–%(end)s: mean rating %(mean)s from %(count)s ratings, "
                "%(pct)s %% of the quality-linked share %(base)s",
                int(data["count"]),
            ) % data
        if kind == LineKind.QUALITY:
            return ngettext(
                "Quality adjustment: mean rating %(mean)s from %(count)s rating, %(pct)s %% of the "
                "quality-linked share %(base)s",
                "Quality adjustment: mean rating %(mean)s from %(count)s ratings, %(pct)s %% of the "
                "quality-linked share %(base)s",
                int(data["count"]),
            ) % data
        if kind == LineKind.PENALTY:
            from sla.models import Metric

            metric = dict(Metric.choices).get(data.get("metric"), data.get("metric"))
            return gettext("SLA penalty: %(metric)s breached on order %(order)s at %(at)s") % {
                **data, "metric": str(metric).lower()}
        if kind == LineKind.PENALTY_CAP and "pct" not in data:
            return gettext(
                "Penalty cap by the terms in force in each part of the month (%(cap)s): penalties of "
                "%(penalties)s reduced by %(excess)s"
            ) % data
        if kind == LineKind.PENALTY_CAP:
            return gettext(
                "Penalty cap %(pct)s %% of the fee (%(cap)s): penalties of %(penalties)s reduced by %(excess)s"
            ) % data
    except (KeyError, TypeError, ValueError):
        return ""
    return ""


class InvoiceLineAct(TenantOwned):
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="+")
    act = models.ForeignKey("confirmations.Act", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "act", "tenant"], name="invoice_line_act_once")]


class InvoiceLineConfirmation(TenantOwned):
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="+")
    confirmation = models.ForeignKey("confirmations.Confirmation", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "confirmation", "tenant"], name="invoice_line_confirmation_once")]


class InvoiceLineBreach(TenantOwned):
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="+")
    breach = models.ForeignKey("sla.Breach", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "breach", "tenant"], name="invoice_line_breach_once")]


class CreditNote(TenantOwned):
    """A correction of an issued (or paid) invoice: reduces what the client owes."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes",
                                verbose_name=_("invoice"))
    number = models.CharField(_("number"), max_length=30)
    reason = models.TextField(_("reason"))
    amount = models.DecimalField(_("amount without VAT"), max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    issue_date = models.DateField(_("issue date"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="credit_note_number_unique_per_tenant"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_note_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceEvent(Event):
    """Append-only trail of an invoice: built, rebuilt, transitions, waivers, credit notes."""

    class Kind(models.TextChoices):
        BUILT = "built", _("Built")
        REBUILT = "rebuilt", _("Rebuilt")
        TRANSITION = "transition", _("State changed")
        UPDATED = "updated", _("Changed")
        BREACH_WAIVED = "breach_waived", _("Breach waived")
        CREDIT_NOTE = "credit_note", _("Credit note")

    SUBJECT = "invoice"
    CONTRACT_PATH = "invoice__contract"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True, choices=InvoiceState.choices)
    to_state = models.CharField(_("to"), max_length=20, blank=True, choices=InvoiceState.choices)

    class Meta(Event.Meta):
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice events")
