"""Every write of billing: building invoices, issuing and numbering them, payments, voids, credit
notes, rating bands, and waiving an SLA breach. One function per use case, keyword arguments, in a
transaction, recording an `InvoiceEvent`.

Who may do what:

- build (and rebuild) a draft: administrator, accountant, account manager; the beat task as system;
- issue, mark paid, void, waive a breach, credit: administrator, accountant;
- rating bands: administrator, account manager.

Locks. Every lock takes only the rows it names (`select_for_update(of=("self",), no_key=True)`:
FOR NO KEY UPDATE, which still lets other transactions insert rows that point at the locked one),
never the tenant's row, and always in this order:

    contract → invoice(s) of that contract, by id → breach → number counter (last)

`invoice_build` locks the contract, then its invoice; `breach_waive` the contract, the drafts that
may charge the breach, then the breach; issuing and crediting lock the invoice, then take a number;
a rating band is locked alone. The number counter (`tenancy.numbering.next_number`: one
`INSERT ... ON CONFLICT DO UPDATE ... RETURNING` on one counter row) is always the last lock of a
transaction. Acts are never locked here: billing reads accepted acts
and links to them, and the act's own services (signing, sealing) lock the act alone, so building an
invoice while an act is sealed at worst waits for the seal, and never deadlocks with it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from confirmations.models import ACCEPTED_STATES, Confirmation
from contracts.models import Contract, ContractState
from contracts.versions import version_from_today
from sla.models import Breach
from tenancy.context import require_tenant_id
from tenancy.errors import DomainError, TransitionRefused
from tenancy.models import Tenant
from tenancy.numbering import next_number
from tenancy.roles import Role, require_role
from tenancy.transitions import Machine, fire

from . import calc, terms
from .models import (
    INVOICE_TRANSITIONS,
    CreditNote,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceLineAct,
    InvoiceLineBreach,
    InvoiceLineConfirmation,
    InvoiceState,
    LineKind,
    RatingBand,
    describe_line,
)

INVOICE_BUILDERS = frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.ACCOUNT_MANAGER})
BILLING_MANAGERS = frozenset({Role.ADMIN, Role.ACCOUNTANT})
BAND_EDITORS = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER})
BILLING_READERS = INVOICE_BUILDERS
# Contracts that may be invoiced; the beat task invoices only the running ones.
INVOICEABLE_STATES = (ContractState.ACTIVE, ContractState.SUSPENDED, ContractState.TERMINATED, ContractState.EXPIRED)
RUNNING_STATES = (ContractState.ACTIVE, ContractState.SUSPENDED)
ENDED_STATES = (ContractState.TERMINATED, ContractState.EXPIRED)


# Bumped when the way lines are computed or described changes, so that every draft is rebuilt once.
RULES_VERSION = 3  # 3: the fee by the terms in force, prorated by days


def _lock(queryset):
    """FOR NO KEY UPDATE of the queried table's rows only (no joined row, never the tenant's)."""
    return queryset.select_for_update(of=("self",), no_key=True)


def _require(actor, roles, message) -> None:
    """`actor=None` is the system (a beat task); people need one of `roles`."""
    require_role(actor, roles, message, system=True)


def _record(invoice: Invoice, *, kind: str, actor, via: str = "", **fields) -> InvoiceEvent:
    return InvoiceEvent.record(invoice, kind=kind, actor=actor, via=via, **fields)


# --- periods ------------------------------------------------------------------------------------

PERIOD_FORMAT = gettext_lazy("Give the period as YYYY-MM, e.g. 2026-10.")  # a form's error message too


def month_bounds(period) -> tuple[dt.date, dt.date]:
    """'2026-10', a date in October 2026 or (2026, 10) → (2026-10-01, 2026-10-31)."""
    if isinstance(period, str):
        try:
            year, month = (int(part) for part in period.strip().split("-")[:2])
            first = dt.date(year, month, 1)
        except (TypeError, ValueError):
            raise DomainError(PERIOD_FORMAT, field="period", code="invalid") from None
    elif isinstance(period, dt.date):
        first = period.replace(day=1)
    else:
        first = dt.date(period[0], period[1], 1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    return month_bounds(today.replace(day=1) - dt.timedelta(days=1))


def period_window(tenant: Tenant, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as aware datetimes [start 00:00, day after end 00:00) in the tenant's time zone."""
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


# --- building -----------------------------------------------------------------------------------

def _part_dates(segment: calc.FeeSegment) -> dict:
    assert isinstance(segment.ref, tuple)  # the part's first and last day, ISO (see _segments)
    first, last = (dt.date.fromisoformat(day) for day in segment.ref)
    return {"start": f"{first:%d.%m.%Y}", "end": f"{last:%d.%m.%Y}"}


def contract_bands(contract: Contract) -> list[calc.Band]:
    """The contract's rating bands, or `calc.DEFAULT_BANDS` when it has none."""
    rows = RatingBand.objects.filter(contract=contract).order_by("-min_rating")
    return [calc.Band(b.min_rating, b.adjustment_pct) for b in rows] or list(calc.DEFAULT_BANDS)


def _evidence(contract: Contract, tenant: Tenant, start: dt.date, end: dt.date):
    """The period's accepted confirmations, and the breaches whose deadline (the clock's due time)
    fell in the period in the tenant's time zone, whenever the sweep recorded them."""
    since, until = period_window(tenant, start, end)
    confirmations = list(
        Confirmation.objects.filter(contract=contract, act__state__in=ACCEPTED_STATES,
                                    confirmed_at__gte=since, confirmed_at__lt=until)
        .select_related("act").order_by("confirmed_at", "id")
    )
    breaches = list(
        Breach.objects.filter(contract=contract, due_at__gte=since, due_at__lt=until,
                              waived_at__isnull=True, penalty__gt=0)
        .select_related("order").order_by("due_at", "id")
    )
    return confirmations, breaches


def _fill(invoice: Invoice, contract: Contract, tenant: Tenant) -> bool:
    """(Re)compute a draft's lines from its evidence and the terms in force in its period; False
    when nothing changed. The month is cut where the terms change and clipped to the contract's
    term (`billing.terms.fee_segments`): one fee line per part, prorated by days."""
    confirmations, breaches = _evidence(contract, tenant, invoice.period_start, invoice.period_end)
    rated = [c for c in confirmations if c.rating is not None]
    segments = terms.fee_segments(contract, invoice.period_start, invoice.period_end)
    result = calc.compute_invoice(
        segments=segments, vat_rate=tenant.vat_rate,
        ratings=[c.rating for c in rated], penalties=[(b.pk, b.penalty) for b in breaches],
    )
    fingerprint = _fingerprint(contract, tenant, segments=segments, confirmations=confirmations, result=result)
    if invoice.pk and fingerprint == invoice.fingerprint:
        return False

    invoice.lines.all().delete()
    _write_lines(invoice, _Draft(contract=contract, period=f"{invoice.period_start:%m.%Y}", result=result,
                                 segments=segments, confirmations=confirmations, rated=rated, breaches=breaches,
                                 zone=zoneinfo.ZoneInfo(tenant.time_zone)))
    invoice.currency = contract.currency
    invoice.vat_rate = tenant.vat_rate
    invoice.fee = result.fee
    invoice.mean_rating = result.mean
    invoice.rating_count = len(rated)
    invoice.subtotal = result.subtotal
    invoice.vat_amount = result.vat
    invoice.total = result.total
    invoice.fingerprint = fingerprint
    invoice.built_at = timezone.now()
    invoice.save()
    return True


def _fingerprint(contract: Contract, tenant: Tenant, *, segments, confirmations, result: calc.Computation) -> str:
    """What a draft was computed from and to: the same fingerprint means nothing to rebuild."""
    return hashlib.sha256(json.dumps({
        "lines": [[line.kind, str(line.amount), str(line.vat), line.ref] for line in result.lines],
        "segments": [[s.ref, str(s.fee), str(s.quality_share_pct), str(s.penalty_cap_pct),
                      [[str(b.min_rating), str(b.adjustment_pct)] for b in s.bands or ()]] for s in segments],
        "confirmations": [c.pk for c in confirmations], "contract": contract.number,
        "currency": contract.currency, "vat_rate": str(tenant.vat_rate), "rules": RULES_VERSION,
    }).encode()).hexdigest()


@dataclass
class _Draft:
    """What a draft's lines are written from, and the acts, confirmations and breaches the lines
    link to, collected while they are written (pairs of a line and an id)."""

    contract: Contract
    period: str  # "MM.YYYY"
    result: calc.Computation
    segments: list[calc.FeeSegment]
    confirmations: list
    rated: list
    breaches: list
    zone: zoneinfo.ZoneInfo
    acts: list = field(default_factory=list)
    confs: list = field(default_factory=list)
    linked_breaches: list = field(default_factory=list)

    @cached_property
    def split(self) -> bool:
        """The month is in parts (terms changed, or the contract's term clips it)."""
        return len(self.segments) > 1 or any(not s.whole for s in self.segments)

    @cached_property
    def part_by_ref(self) -> dict:
        return {part.segment.ref: part for part in self.result.segments}

    @cached_property
    def breach_by_id(self) -> dict:
        return {b.pk: b for b in self.breaches}

    @cached_property
    def acts_by_part(self) -> dict:
        """The confirmations by the ref of the part of the month they fall in."""
        acts_by_part: dict = {}
        for confirmation in self.confirmations if self.segments else ():
            part = terms.segment_for(self.segments, confirmation.confirmed_at, self.zone)
            acts_by_part.setdefault(part.ref, []).append(confirmation)
        return acts_by_part


def _write_lines(invoice: Invoice, draft: _Draft) -> None:
    """Save the computed lines in order, each with its data and description, and their links."""
    fillers: dict[str, Callable[[InvoiceLine, calc.CalcLine, _Draft], None]] = {
        LineKind.FEE: _fee_line, LineKind.QUALITY: _quality_line, LineKind.PENALTY: _penalty_line,
        LineKind.PENALTY_CAP: _penalty_cap_line}
    for position, item in enumerate(draft.result.lines, start=1):
        line = InvoiceLine(tenant_id=invoice.tenant_id, invoice=invoice, position=position, kind=item.kind,
                           amount=item.amount, vat=item.vat)
        if (fill_line := fillers.get(item.kind)) is not None:
            fill_line(line, item, draft)
        with translation.override(settings.LANGUAGE_CODE):
            line.description = describe_line(line.kind, line.data)[:500]
        line.save()
    InvoiceLineAct.objects.bulk_create(
        [InvoiceLineAct(tenant_id=invoice.tenant_id, line=line, act_id=pk) for line, pk in draft.acts])
    InvoiceLineConfirmation.objects.bulk_create(
        [InvoiceLineConfirmation(tenant_id=invoice.tenant_id, line=line, confirmation_id=pk)
         for line, pk in draft.confs])
    InvoiceLineBreach.objects.bulk_create(
        [InvoiceLineBreach(tenant_id=invoice.tenant_id, line=line, breach_id=pk) for line, pk in draft.linked_breaches])


def _fee_line(line: InvoiceLine, item: calc.CalcLine, draft: _Draft) -> None:
    line.data = {"contract": draft.contract.number, "period": draft.period}
    if draft.split:  # a part of the month: its dates, its days and the monthly fee they are a share of
        part = draft.part_by_ref[item.ref].segment
        line.data.update(_part_dates(part), days=part.days, month_days=part.month_days, fee=str(part.fee))
    draft.acts += [(line, c.act_id) for c in draft.acts_by_part.get(item.ref, [])]


def _quality_line(line: InvoiceLine, item: calc.CalcLine, draft: _Draft) -> None:
    part = draft.part_by_ref[item.ref]
    line.data = {"mean": str(draft.result.mean), "count": len(draft.rated), "pct": f"{part.band.adjustment_pct:+}",
                 "base": str(part.quality_base), "min_rating": str(part.band.min_rating)}
    if len(draft.segments) > 1:
        line.data.update(_part_dates(part.segment))
    draft.acts += [(line, c.act_id) for c in draft.rated]
    draft.confs += [(line, c.pk) for c in draft.rated]


def _penalty_line(line: InvoiceLine, item: calc.CalcLine, draft: _Draft) -> None:
    breach = draft.breach_by_id[item.ref]
    line.breach = breach
    # "at" is the deadline that was missed, which is what puts the breach in this month
    line.data = {"metric": breach.metric, "order": breach.order.number,
                 "at": f"{breach.due_at.astimezone(draft.zone):%d.%m.%Y %H:%M}"}
    draft.linked_breaches.append((line, breach.pk))


def _penalty_cap_line(line: InvoiceLine, item: calc.CalcLine, draft: _Draft) -> None:
    result = draft.result
    line.data = {"cap": str(result.cap), "penalties": str(result.penalties_total), "excess": str(item.amount)}
    caps = {s.penalty_cap_pct for s in draft.segments}
    if len(caps) == 1:  # one cap % over the month (otherwise each part's own, summed)
        line.data["pct"] = str(caps.pop())
    draft.linked_breaches += [(line, b.pk) for b in draft.breaches]


def invoice_build(*, contract: Contract, period, actor=None, via: str = "") -> Invoice:
    """The draft invoice of `contract` for the month `period` ('YYYY-MM' or a date in it).

    Idempotent: the invoice of a contract and period is one row (a unique constraint; the contract
    row, then the invoice row, are locked while building). An existing draft is recomputed from the current evidence; an
    issued, paid or void invoice is returned unchanged. `invoice.was_created` tells which happened.
    """
    _require(actor, INVOICE_BUILDERS, _("Only an administrator, an accountant or an account manager may build invoices."))
    start, end = month_bounds(period)
    with transaction.atomic():
        contract = _lock(Contract.objects).get(pk=contract.pk)
        tenant = Tenant.objects.get(pk=contract.tenant_id)  # read, never locked
        if contract.state not in INVOICEABLE_STATES:
            raise DomainError(_("A contract is invoiced once it is active."), field="contract", code="not_invoiceable")
        if contract.start_date and contract.start_date > end:
            raise DomainError(_("The contract starts after this period."), field="period", code="not_invoiceable")
        if contract.end_date and contract.end_date < start:
            raise DomainError(_("The contract ended before this period."), field="period", code="not_invoiceable")
        if start > tenant.today():
            raise DomainError(_("This period has not started yet."), field="period", code="future_period")
        invoice = _lock(Invoice.objects.filter(contract=contract, period_start=start, period_end=end)).first()
        if invoice is not None:
            invoice.was_created = False
            if invoice.is_draft and _fill(invoice, contract, tenant):
                _record(invoice, kind=InvoiceEvent.Kind.REBUILT, actor=actor, via=via,
                        data={"total": str(invoice.total)})
            return invoice
        invoice = Invoice(tenant_id=contract.tenant_id, contract=contract, client_id=contract.client_id,
                          period_start=start, period_end=end, currency=contract.currency, vat_rate=tenant.vat_rate)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:  # built meanwhile by a worker that did not lock (cannot happen with the lock)
            invoice = Invoice.objects.get(contract=contract, period_start=start, period_end=end)
            invoice.was_created = False
            return invoice
        _fill(invoice, contract, tenant)
        _record(invoice, kind=InvoiceEvent.Kind.BUILT, actor=actor, via=via, to_state=invoice.state,
                data={"total": str(invoice.total)})
        invoice.was_created = True
        return invoice


def invoice_rebuild(*, invoice: Invoice, actor, via: str = "") -> Invoice:
    """Recompute a draft from the current evidence (a draft only: an issued invoice never changes)."""
    if invoice.state != InvoiceState.DRAFT:
        raise TransitionRefused(_("An issued invoice never changes; correct it with a credit note."))
    return invoice_build(contract=invoice.contract, period=invoice.period_start, actor=actor, via=via)


def invoice_update(*, invoice: Invoice, actor, via: str = "", **changes) -> Invoice:
    """Change a draft's notes or due date. An issued invoice is immutable (409)."""
    _require(actor, INVOICE_BUILDERS, _("Only an administrator, an accountant or an account manager may change invoices."))
    with transaction.atomic():
        invoice = _lock(Invoice.objects).get(pk=invoice.pk)
        if invoice.state != InvoiceState.DRAFT:
            raise TransitionRefused(_("An issued invoice never changes; correct it with a credit note."),
                                    code="immutable")
        changed = {}
        for key in ("notes", "due_date"):
            if key in changes and getattr(invoice, key) != changes[key]:
                changed[key] = [str(getattr(invoice, key) or ""), str(changes[key] or "")]
                setattr(invoice, key, changes[key])
        if changed:
            invoice.save(update_fields=[*changed, ])
            _record(invoice, kind=InvoiceEvent.Kind.UPDATED, actor=actor, via=via, data={"changed": changed})
        return invoice


# --- transitions --------------------------------------------------------------------------------

def invoice_transition(*, invoice: Invoice, name: str, actor, note: str = "", via: str = "") -> Invoice:
    """Fire one transition under the invoice's row lock and record it; issuing numbers and dates the
    invoice (the number counter is the last lock taken)."""
    if name not in INVOICE_TRANSITIONS:
        raise TransitionRefused(_("Unknown action “%(name)s”.") % {"name": name}, field="transition")
    _require(actor, BILLING_MANAGERS, _("Only an administrator or an accountant may do this."))
    if name == "issue" and invoice.state == InvoiceState.DRAFT:
        # a draft built before new evidence or an amendment reaching back into its month is never
        # issued with stale figures: it is recomputed (and kept), and the user checks it again
        before = Invoice.objects.filter(pk=invoice.pk).values_list("fingerprint", flat=True).first()
        fresh = invoice_build(contract=invoice.contract, period=invoice.period_start, actor=actor, via=via)
        if fresh.fingerprint != before:
            raise TransitionRefused(
                _("The draft has just been recomputed from new evidence or changed terms; check it and issue again."),
                code="draft_recomputed")
    return fire(INVOICE_MACHINE, invoice, name, actor=actor, note=note, via=via)


def _invoice_dates(invoice: Invoice, name: str, now: dt.datetime) -> None:
    """Issuing dates and numbers the invoice (the number counter is the last lock taken)."""
    if name == "issue":
        today = timezone.localdate(now, zoneinfo.ZoneInfo(invoice.tenant.time_zone))
        invoice.issue_date = today
        invoice.issued_at = now
        if invoice.due_date is None:
            invoice.due_date = today + dt.timedelta(days=invoice.contract.payment_terms_days)
        invoice.number = next_number(series="INV", tenant_id=invoice.tenant_id, at=now)
    elif name == "pay":
        invoice.paid_at = now
    elif name == "void":
        invoice.voided_at = now


INVOICE_MACHINE = Machine(
    events=InvoiceEvent,
    transitions=INVOICE_TRANSITIONS,
    locked=lambda: _lock(Invoice.objects.select_related("contract", "tenant")),
    refused=lambda invoice: _("A %(state)s invoice cannot do that.") % {
        "state": invoice.get_state_display().lower()},
    before=_invoice_dates,
    after=lambda invoice, name, actor, now: {"number": invoice.number} if invoice.number else {},
)


def invoice_issue(*, invoice, actor, note="", via=""):
    return invoice_transition(invoice=invoice, name="issue", actor=actor, note=note, via=via)


def invoice_void(*, invoice, actor, note, via=""):
    return invoice_transition(invoice=invoice, name="void", actor=actor, note=note, via=via)


# --- breaches -----------------------------------------------------------------------------------

def breach_month_day(breach: Breach, tenant: Tenant) -> dt.date:
    """The day a breach counts on: its deadline's date in the tenant's time zone (not the day the
    sweep happened to record it), so its penalty lands on the invoice of the deadline's month."""
    return timezone.localdate(breach.due_at, zoneinfo.ZoneInfo(tenant.time_zone))


def breach_waive(*, breach: Breach, reason: str, actor, via: str = "") -> Breach:
    """Waive an SLA breach with a reason and rebuild the draft invoice that charged it.

    A breach already on an issued or paid invoice is not waived here: that invoice never changes, so
    the correction is a credit note. Locks in the module's order: the contract, the drafts of the
    breach's month, then the breach.
    """
    _require(actor, BILLING_MANAGERS, _("Only an administrator or an accountant may waive a breach."))
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), field="reason", code="required")
    with transaction.atomic():
        unlocked = Breach.objects.only("contract", "due_at").get(pk=breach.pk)  # locked after its contract
        contract = _lock(Contract.objects).get(pk=unlocked.contract_id)
        day = breach_month_day(unlocked, Tenant.objects.get(pk=contract.tenant_id))
        drafts = list(_lock(Invoice.objects.filter(contract=contract, state=InvoiceState.DRAFT,
                                                   period_start__lte=day, period_end__gte=day)).order_by("pk"))
        breach = _lock(Breach.objects).get(pk=breach.pk)
        if breach.waived_at is not None:
            raise TransitionRefused(_("This breach is already waived."), code="already_waived")
        billed = (Invoice.objects.filter(lines__breach=breach, state__in=[InvoiceState.ISSUED, InvoiceState.PAID])
                  .values_list("number", flat=True).first())
        if billed:
            raise TransitionRefused(
                _("The breach is charged on issued invoice %(number)s; correct it with a credit note.")
                % {"number": billed}, code="invoice_issued")
        breach.waived_at = timezone.now()
        breach.waived_reason = reason.strip()
        breach.save(update_fields=["waived_at", "waived_reason"])
        for invoice in drafts:
            invoice_build(contract=contract, period=invoice.period_start, actor=actor, via=via)
            _record(invoice, kind=InvoiceEvent.Kind.BREACH_WAIVED, actor=actor, via=via, note=breach.waived_reason,
                    data={"breach": breach.pk})
    return breach


# --- credit notes -------------------------------------------------------------------------------

def invoice_remaining(invoice: Invoice) -> tuple[Decimal, Decimal]:
    """What is left to credit on an invoice: (amount without VAT, VAT)."""
    credited = CreditNote.objects.filter(invoice=invoice).aggregate(amount=Sum("amount"), vat=Sum("vat"))
    return (invoice.subtotal - (credited["amount"] or calc.ZERO), invoice.vat_amount - (credited["vat"] or calc.ZERO))


def credit_note_create(*, invoice: Invoice, amount: Decimal, reason: str, actor, via: str = "") -> CreditNote:
    """Correct an issued or paid invoice: a numbered credit note, never more than the amount left."""
    _require(actor, BILLING_MANAGERS, _("Only an administrator or an accountant may issue credit notes."))
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), field="reason", code="required")
    amount = calc.money(amount)
    if amount <= 0:
        raise DomainError(_("The amount must be more than zero."), field="amount", code="invalid")
    with transaction.atomic():
        invoice = _lock(Invoice.objects.select_related("tenant")).get(pk=invoice.pk)
        if invoice.state not in (InvoiceState.ISSUED, InvoiceState.PAID):
            raise TransitionRefused(_("Only an issued or paid invoice is corrected by a credit note."))
        remaining_amount, remaining_vat = invoice_remaining(invoice)
        if amount > remaining_amount:
            raise DomainError(
                _("The credit note cannot exceed what is left of the invoice (%(left)s without VAT).")
                % {"left": remaining_amount}, field="amount", code="exceeds_invoice")
        vat = calc.credit_note_vat(amount=amount, vat_rate=invoice.vat_rate, remaining_amount=remaining_amount,
                                   remaining_vat=remaining_vat)
        vat = min(vat, remaining_vat) if remaining_vat >= 0 else vat
        now = timezone.now()
        today = timezone.localdate(now, zoneinfo.ZoneInfo(invoice.tenant.time_zone))
        note = CreditNote.objects.create(
            tenant_id=invoice.tenant_id, invoice=invoice,
            number=next_number(series="CN", tenant_id=invoice.tenant_id, at=now),
            reason=reason.strip(), amount=amount, vat=vat, total=amount + vat, issue_date=today, created_by=actor,
        )
        _record(invoice, kind=InvoiceEvent.Kind.CREDIT_NOTE, actor=actor, via=via, note=note.reason,
                data={"credit_note": note.number, "total": str(note.total)})
    return note


# --- rating bands -------------------------------------------------------------------------------

def _band_check(*, contract: Contract, min_rating, adjustment_pct, instance: RatingBand | None = None) -> None:
    if not (Decimal("1") <= Decimal(min_rating) <= Decimal("5")):
        raise DomainError(_("A band starts at a mean rating from 1 to 5."), field="min_rating", code="invalid")
    if not (Decimal("-100") <= Decimal(adjustment_pct) <= Decimal("100")):
        raise DomainError(_("The adjustment is between −100 % and 100 %."), field="adjustment_pct", code="invalid")
    clash = RatingBand.objects.filter(contract=contract, min_rating=min_rating)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise DomainError(_("The contract already has a band from this rating."), field="min_rating", code="unique")


@transaction.atomic
def rating_band_create(*, contract: Contract, min_rating, adjustment_pct, actor) -> RatingBand:
    _require(actor, BAND_EDITORS, _("Only an administrator or an account manager may change rating bands."))
    _band_check(contract=contract, min_rating=min_rating, adjustment_pct=adjustment_pct)
    band = RatingBand.objects.create(contract=contract, min_rating=min_rating, adjustment_pct=adjustment_pct)
    _bands_changed(contract, actor)
    return band


def _bands_changed(contract: Contract, actor) -> None:
    """Bands edited on a signed contract are in force from today (the months before keep theirs; an
    amendment changes them from another date)."""
    version_from_today(contract=contract, actor=actor, note=_("Rating bands changed on the contract."))


@transaction.atomic
def rating_band_update(*, band: RatingBand, actor, **changes) -> RatingBand:
    _require(actor, BAND_EDITORS, _("Only an administrator or an account manager may change rating bands."))
    band = _lock(RatingBand.objects).get(pk=band.pk)
    for key in ("min_rating", "adjustment_pct"):
        if key in changes:
            setattr(band, key, changes[key])
    _band_check(contract=band.contract, min_rating=band.min_rating, adjustment_pct=band.adjustment_pct, instance=band)
    band.save()
    _bands_changed(band.contract, actor)
    return band


@transaction.atomic
def rating_band_delete(*, band: RatingBand, actor) -> None:
    _require(actor, BAND_EDITORS, _("Only an administrator or an account manager may change rating bands."))
    contract = band.contract
    band.delete()
    _bands_changed(contract, actor)


# --- the beat task's work -----------------------------------------------------------------------

def invoices_build_due() -> int:
    """Build the previous month's invoice of every contract of the current tenant whose invoice day
    is today (in the tenant's time zone): the running ones, and the final, partial month of a
    terminated or expired contract whose end date fell in that month (prorated to the end date). A
    contract that ended before that month gets nothing. Safe to run any number of times."""
    tenant = Tenant.objects.get(pk=require_tenant_id())
    today = tenant.today()
    start, end = previous_month(today)
    running = Q(state__in=RUNNING_STATES)
    ended_last_month = Q(state__in=ENDED_STATES, end_date__gte=start, end_date__lte=end)
    due = (Contract.objects.filter(running | ended_last_month, invoice_day=today.day)
           .exclude(start_date__gt=end).exclude(end_date__lt=start))
    built = 0
    for contract in due.order_by("pk"):
        invoice = invoice_build(contract=contract, period=start, actor=None)
        built += int(invoice.was_created)
    return built
