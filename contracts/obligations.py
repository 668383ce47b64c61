"""Obligations: a contract's recurring duties, their dated occurrences, reminders and alerts.

Rules (`ObligationRule`), each due date covering the period before it:

- **monthly** on day N: 29, 30 and 31 fall on the last day of a shorter month (31 → 30 April,
  28 or 29 February), so a rule never skips a month;
- **quarterly** on day N of the month *after* the quarter (January, April, July, October), the
  usual deadline of quarterly reporting ("by the 15th of the month after the quarter");
- **yearly** on a date (day and month; 29 February falls on the 28th in common years);
- **N business days after month end**: the N-th business day of each month, counted in the
  contract's business calendar (`contract_business_days`), or Monday to Friday.

An obligation generates occurrences from `starts_on` on; while the contract has an end date, the
last one is the one whose period starts before the end (the final month's report is still due
after the contract ends). `obligation_occurrences_generate` (beat) creates them up to
`HORIZON_MONTHS` ahead, `obligation_alerts_send` (beat) marks the overdue ones and reminds the
owner before the due date and alerts owner and account managers after it, once per occurrence.

Writes are services (`<entity>_<action>(*, ...)`, one transaction, DomainError naming the field);
each obligation change and each occurrence state change is recorded on the contract's timeline
(`ContractEvent`: who, when, from → to in `data`). Reads for pages and API are at the end.
"""

from __future__ import annotations

import calendar as calendar_lib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy.audit import actor_label
from tenancy.context import require_tenant_id
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Membership, Notification, Tenant
from tenancy.roles import CONTRACT_MANAGERS, PROVIDER_ROLES, has_role, membership_of

from .models import (
    Contract,
    ContractEvent,
    ContractRole,
    ContractRoleKind,
    ContractState,
    Obligation,
    ObligationOccurrence,
    ObligationRule,
    ObligationTemplate,
    OccurrenceState,
)

HORIZON_MONTHS = 3
# The months of the period each due date covers (and how far after the contract's end it may fall).
PERIOD_MONTHS = {ObligationRule.MONTHLY: 1, ObligationRule.BUSINESS_DAYS: 1, ObligationRule.QUARTERLY: 3,
                 ObligationRule.YEARLY: 12}
# Contracts whose obligations are generated and that may get new ones.
RUNNING = (ContractState.ACTIVE,)
OPEN_FOR_OBLIGATIONS = (ContractState.DRAFT, ContractState.NEGOTIATION, ContractState.ACTIVE,
                        ContractState.SUSPENDED)
OBLIGATION_FIELDS = ("title", "description", "owner", "starts_on", "is_active", "rule", "day", "month",
                     "business_days", "reminder_days")
TEMPLATE_FIELDS = ("title", "description", "rule", "day", "month", "business_days", "reminder_days")
MAX_DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


# --- the rule arithmetic (pure) --------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), on the month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return clamped_date(year, month + 1, day.day)


def clamped_date(year: int, month: int, day: int) -> dt.date:
    """Day `day` of the month, or its last day when the month is shorter (31 → 30 April)."""
    return dt.date(year, month, min(day, calendar_lib.monthrange(year, month)[1]))


@dataclass(frozen=True)
class BusinessDays:
    """Which dates are business days: working weekdays, minus holidays, plus transferred working days."""

    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()

    def __call__(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def nth_of_month(self, year: int, month: int, n: int) -> dt.date:
        """The n-th business day counted from the 1st of the month (it may fall in the next month
        when a month has fewer). ValueError when there is none within a year."""
        day, counted = dt.date(year, month, 1), 0
        for _step in range(366):
            if self(day):
                counted += 1
                if counted == n:
                    return day
            day += dt.timedelta(days=1)
        raise ValueError("no business days in the calendar")


MONDAY_TO_FRIDAY = BusinessDays()


@dataclass(frozen=True)
class Schedule:
    rule: str
    day: int | None = None
    month: int | None = None
    business_days: int | None = None

    @classmethod
    def of(cls, obj) -> Schedule:
        return cls(rule=obj.rule, day=obj.day, month=obj.month, business_days=obj.business_days)

    def _due_in(self, year: int, month: int, business: BusinessDays) -> dt.date | None:
        """The due date this rule sets in a month, or None if it sets none there."""
        if self.rule == ObligationRule.MONTHLY:
            return clamped_date(year, month, self.day)
        if self.rule == ObligationRule.QUARTERLY:
            return clamped_date(year, month, self.day) if month in (1, 4, 7, 10) else None
        if self.rule == ObligationRule.YEARLY:
            return clamped_date(year, month, self.day) if month == self.month else None
        if self.rule == ObligationRule.BUSINESS_DAYS:
            return business.nth_of_month(year, month, self.business_days)
        raise ValueError(f"unknown rule {self.rule!r}")

    def due_dates(self, first: dt.date, last: dt.date, *, business: BusinessDays = MONDAY_TO_FRIDAY) -> list[dt.date]:
        """Every due date of the rule from `first` to `last`, both included, in order."""
        if last < first:
            return []
        found = []
        month = dt.date(first.year, first.month, 1)
        if self.rule == ObligationRule.BUSINESS_DAYS:
            month = add_months(month, -1)  # the 20th business day of a month may fall in the next one
        while month <= last:
            due = self._due_in(month.year, month.month, business)
            if due is not None and first <= due <= last:
                found.append(due)
            month = add_months(month, 1)
        return sorted(set(found))

    @property
    def period_months(self) -> int:
        return PERIOD_MONTHS[self.rule]


def validate_rule(*, rule, day=None, month=None, business_days=None, reminder_days=None) -> dict[str, Any]:
    """The rule's fields cleaned (the ones it does not use emptied), or a DomainError naming the
    field that would make it never fire."""
    if rule not in ObligationRule.values:
        raise DomainError(_("Choose how often the obligation falls due."), field="rule", code="invalid")
    cleaned: dict[str, Any] = {"rule": rule, "day": None, "month": None, "business_days": None}
    if rule in (ObligationRule.MONTHLY, ObligationRule.QUARTERLY, ObligationRule.YEARLY):
        if day is None:
            raise DomainError(_("Give the day of the month."), field="day", code="required")
        if not 1 <= int(day) <= 31:
            raise DomainError(_("A day of the month is between 1 and 31."), field="day", code="invalid")
        cleaned["day"] = int(day)
    if rule == ObligationRule.YEARLY:
        if month is None:
            raise DomainError(_("Give the month of the yearly date."), field="month", code="required")
        if not 1 <= int(month) <= 12:
            raise DomainError(_("A month is between 1 and 12."), field="month", code="invalid")
        cleaned["month"] = int(month)
        if cleaned["day"] > MAX_DAYS_IN_MONTH[cleaned["month"]]:
            raise DomainError(
                _("%(month)s has no day %(day)d, so the obligation would never fall due.")
                % {"month": _month_name(cleaned["month"]), "day": cleaned["day"]},
                field="day", code="never_due")
    if rule == ObligationRule.BUSINESS_DAYS:
        if business_days is None:
            raise DomainError(_("Give the number of business days."), field="business_days", code="required")
        if not 1 <= int(business_days) <= 20:
            raise DomainError(_("Between 1 and 20 business days after the month ends."),
                              field="business_days", code="invalid")
        cleaned["business_days"] = int(business_days)
    if reminder_days is not None:
        if not 0 <= int(reminder_days) <= 60:
            raise DomainError(_("Remind between 0 and 60 days before."), field="reminder_days", code="invalid")
        cleaned["reminder_days"] = int(reminder_days)
    return cleaned


def _month_name(month: int) -> str:
    from django.utils.dates import MONTHS

    return str(MONTHS[month])


# --- the contract's business days ------------------------------------------------------------


def contract_business_days(contract: Contract, *, around: dt.date | None = None) -> BusinessDays:
    """Business days of the contract: those of the business calendar its SLA policies use (the
    normal priority's first), with the country's public holidays, transferred working days and the
    calendar's extra days off; Monday to Friday when it has none. A 24×7 calendar still counts
    Monday to Friday (business days are the office's, not the service desk's), less its holidays.

    The calendar lives in sla/, which depends on contracts: it is read here through a late import
    of the SLA models, the one place obligations look downstream.
    """
    from sla.models import SLAPolicy
    from sla.services import public_calendar

    policies = list(SLAPolicy.objects.filter(contract_id=contract.pk, calendar__isnull=False)
                    .select_related("calendar").order_by("id"))
    policy = next((p for p in policies if p.priority == "normal"), policies[0] if policies else None)
    if policy is None:
        return MONDAY_TO_FRIDAY
    stored = policy.calendar
    weekdays = frozenset(range(5))
    if not stored.always_on:
        weekdays = frozenset(d for d in range(7) if (stored.working_hours or {}).get(str(d))) or weekdays
    days_off = frozenset(dt.date.fromisoformat(d) for d in stored.extra_days_off or [])
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    if stored.holiday_country:
        year = (around or timezone.now().date()).year
        holidays, workdays = public_calendar(stored.holiday_country, year - 1, year + 2)
    return BusinessDays(weekdays=weekdays, holidays=holidays | days_off, extra_working_days=workdays - days_off)


# --- shared by the services ------------------------------------------------------------------


def _require_manager(actor) -> None:
    if actor is not None and not has_role(actor, CONTRACT_MANAGERS):
        raise ActionForbidden(_("Only an administrator or an account manager may do this."))


def _tenant_today() -> dt.date:
    return Tenant.objects.get(pk=require_tenant_id()).today()


def _record(contract_id: int, *, kind: str, actor, via: str = "", summary: str, note: str = "",
            **data: Any) -> ContractEvent:
    """An obligation's event on its contract's timeline; `summary` is the line the timeline shows."""
    return ContractEvent.objects.create(
        tenant_id=require_tenant_id(), contract_id=contract_id, kind=kind, actor=actor,
        actor_label=actor_label(actor, via), note=note, data={"summary": summary, **data},
    )


def _check_owner(owner) -> None:
    """The owner is an active member of the provider's staff in this tenant."""
    if owner is None:
        raise DomainError(_("Choose who owns the obligation."), field="owner", code="required")
    membership = Membership.objects.filter(user_id=owner.pk, is_active=True).first()  # this tenant only
    if membership is None or membership.role not in PROVIDER_ROLES:
        raise DomainError(_("The owner must be a member of the provider's staff."), field="owner", code="invalid")


def _bounds(contract: Contract, schedule: Schedule, starts_on: dt.date) -> tuple[dt.date, dt.date | None]:
    """The first and last date an occurrence may fall due on (None: the contract is open-ended)."""
    first = max(starts_on, contract.start_date) if contract.start_date else starts_on
    last = add_months(contract.end_date, schedule.period_months) if contract.end_date else None
    return first, last


def _check_fires(contract: Contract, schedule: Schedule, starts_on: dt.date) -> None:
    """Refuse a rule that would never fall due while the contract runs."""
    first, last = _bounds(contract, schedule, starts_on)
    if last is None:
        last = add_months(first, 12)  # every rule falls due at least once a year
    if first > last:
        raise DomainError(_("The contract ends before this date."), field="starts_on", code="never_due")
    try:
        dates = schedule.due_dates(first, last, business=contract_business_days(contract, around=first))
    except ValueError:
        dates = []
    if not dates:
        raise DomainError(_("This rule never falls due before the contract ends."), field="rule", code="never_due")


def _default_start(contract: Contract) -> dt.date:
    today = _tenant_today()
    return max(today, contract.start_date) if contract.start_date else today


def _generate_for(obligation: Obligation, *, horizon: dt.date, business: BusinessDays | None = None) -> int:
    """Create the obligation's missing occurrences due up to `horizon`. Safe to run twice or in two
    workers at once: the unique (obligation, due date) turns a duplicate into nothing."""
    contract = obligation.contract
    schedule = Schedule.of(obligation)
    first, last = _bounds(contract, schedule, obligation.starts_on)
    last = min(horizon, last) if last else horizon
    try:
        dates = schedule.due_dates(first, last, business=business or contract_business_days(contract, around=first))
    except ValueError:
        return 0  # a calendar with no business days: nothing falls due
    if not dates:
        return 0
    existing = set(ObligationOccurrence.objects.filter(obligation=obligation, due_date__in=dates)
                   .values_list("due_date", flat=True))
    missing = [day for day in dates if day not in existing]
    ObligationOccurrence.objects.bulk_create(
        [ObligationOccurrence(tenant_id=obligation.tenant_id, obligation=obligation, due_date=day) for day in missing],
        ignore_conflicts=True,
    )
    return len(missing)


def _drop_future_pending(obligation: Obligation, *, keep: Iterable[dt.date] = ()) -> int:
    """Remove pending occurrences from today on that the (changed or stopped) rule no longer sets."""
    stale = ObligationOccurrence.objects.filter(obligation=obligation, state=OccurrenceState.PENDING,
                                                due_date__gte=_tenant_today()).exclude(due_date__in=list(keep))
    return stale.delete()[0]


def _describe(obligation) -> str:
    return f"{obligation.title} — {schedule_label(obligation)}"


def schedule_label(obj) -> str:
    """The rule in words, e.g. "monthly by the 5th" or "by the 3rd business day after month end"."""
    if obj.rule == ObligationRule.MONTHLY:
        return _("monthly by day %(day)d") % {"day": obj.day}
    if obj.rule == ObligationRule.QUARTERLY:
        return _("quarterly by day %(day)d of the month after the quarter") % {"day": obj.day}
    if obj.rule == ObligationRule.YEARLY:
        return _("yearly by %(day)d %(month)s") % {"day": obj.day, "month": _month_name(obj.month)}
    return _("by business day %(n)d after month end") % {"n": obj.business_days or 0}


# --- obligations -----------------------------------------------------------------------------


@transaction.atomic
def obligation_create(*, contract: Contract, actor, owner, title: str, rule: str, day=None, month=None,
                      business_days=None, reminder_days: int = 3, description: str = "",
                      starts_on: dt.date | None = None, template: ObligationTemplate | None = None,
                      via: str = "") -> Obligation:
    """A recurring duty of the contract; its occurrences up to the horizon are created at once
    when the contract is running."""
    _require_manager(actor)
    contract = Contract.objects.get(pk=contract.pk)
    if contract.state not in OPEN_FOR_OBLIGATIONS:
        raise DomainError(_("A %(state)s contract takes no new obligations.")
                          % {"state": contract.get_state_display().lower()}, field="contract", code="invalid")
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the obligation a title."), field="title", code="required")
    rule_fields = validate_rule(rule=rule, day=day, month=month, business_days=business_days,
                                reminder_days=reminder_days if reminder_days is not None else 3)
    _check_owner(owner)
    starts_on = starts_on or _default_start(contract)
    schedule = Schedule(**{k: rule_fields[k] for k in ("rule", "day", "month", "business_days")})
    _check_fires(contract, schedule, starts_on)
    obligation = Obligation.objects.create(
        tenant_id=contract.tenant_id, contract=contract, owner=owner, title=title[:200], description=description,
        starts_on=starts_on, template=template, created_by=actor, **rule_fields,
    )
    _record(contract.pk, kind=ContractEvent.Kind.OBLIGATION_ADDED, actor=actor, via=via,
            summary=_describe(obligation), obligation=obligation.pk)
    if contract.state in RUNNING:
        _generate_for(obligation, horizon=add_months(_tenant_today(), HORIZON_MONTHS))
    return obligation


@transaction.atomic
def obligation_update(*, obligation: Obligation, actor, via: str = "", **changes: Any) -> Obligation:
    """Change an obligation. A new rule or start, or stopping it, removes the pending occurrences
    from today on that no longer fall due (done and overdue ones stay) and creates the new ones."""
    _require_manager(actor)
    obligation = Obligation.objects.select_for_update(of=("self",)).select_related("contract").get(pk=obligation.pk)
    contract = obligation.contract
    updates = {k: v for k, v in changes.items() if k in OBLIGATION_FIELDS}
    if "title" in updates:
        updates["title"] = (updates["title"] or "").strip()[:200]
        if not updates["title"]:
            raise DomainError(_("Give the obligation a title."), field="title", code="required")
    merged = {k: updates.get(k, getattr(obligation, k)) for k in ("rule", "day", "month", "business_days",
                                                                  "reminder_days")}
    updates.update(validate_rule(**merged))
    if "owner" in changes:
        _check_owner(updates["owner"])
    if updates.get("starts_on", obligation.starts_on) is None:
        raise DomainError(_("Give the first date the obligation may fall due on."), field="starts_on",
                          code="required")
    changed = {}
    for key, value in updates.items():
        old = getattr(obligation, key)
        if old != value:
            changed[key] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(obligation, key, value)
    if not changed:
        return obligation
    schedule = Schedule.of(obligation)
    if obligation.is_active and {"rule", "day", "month", "business_days", "starts_on", "is_active"} & changed.keys():
        _check_fires(contract, schedule, obligation.starts_on)
    obligation.save()
    if {"rule", "day", "month", "business_days", "starts_on", "is_active"} & changed.keys():
        keep: list[dt.date] = []
        if obligation.is_active:
            first, last = _bounds(contract, schedule, obligation.starts_on)
            horizon = add_months(_tenant_today(), HORIZON_MONTHS)
            try:
                keep = schedule.due_dates(first, min(horizon, last) if last else horizon,
                                          business=contract_business_days(contract, around=first))
            except ValueError:
                keep = []
        _drop_future_pending(obligation, keep=keep)
        if obligation.is_active and contract.state in RUNNING:
            _generate_for(obligation, horizon=add_months(_tenant_today(), HORIZON_MONTHS))
    _record(contract.pk, kind=ContractEvent.Kind.OBLIGATION_CHANGED, actor=actor, via=via,
            summary=_describe(obligation), obligation=obligation.pk, changed=changed)
    return obligation


# --- templates -------------------------------------------------------------------------------


def _template_fields(fields: dict[str, Any], *, instance: ObligationTemplate | None = None) -> dict[str, Any]:
    values = {k: fields.get(k, getattr(instance, k) if instance else None) for k in TEMPLATE_FIELDS}
    values["title"] = (values["title"] or "").strip()[:200]
    if not values["title"]:
        raise DomainError(_("Give the template a title."), field="title", code="required")
    values["description"] = values["description"] or ""
    values.update(validate_rule(rule=values["rule"], day=values["day"], month=values["month"],
                                business_days=values["business_days"],
                                reminder_days=3 if values["reminder_days"] is None else values["reminder_days"]))
    duplicate = ObligationTemplate.objects.filter(title=values["title"])
    if instance is not None:
        duplicate = duplicate.exclude(pk=instance.pk)
    if duplicate.exists():
        raise DomainError(_("This value is already used in your organisation."), field="title", code="unique")
    return values


@transaction.atomic
def obligation_template_create(*, actor, **fields: Any) -> ObligationTemplate:
    _require_manager(actor)
    values = _template_fields(fields)
    try:
        with transaction.atomic():
            return ObligationTemplate.objects.create(tenant_id=require_tenant_id(), created_by=actor, **values)
    except IntegrityError as exc:
        raise DomainError(_("This value is already used in your organisation."), field="title", code="unique") from exc


@transaction.atomic
def obligation_template_update(*, template: ObligationTemplate, actor, **changes: Any) -> ObligationTemplate:
    """Change a template; obligations already made from it keep their own rule."""
    _require_manager(actor)
    template = ObligationTemplate.objects.select_for_update().get(pk=template.pk)
    for key, value in _template_fields(changes, instance=template).items():
        setattr(template, key, value)
    template.save()
    return template


def _account_manager(contract: Contract):
    role = (ContractRole.objects.filter(contract_id=contract.pk, role=ContractRoleKind.ACCOUNT_MANAGER)
            .select_related("user").order_by("id").first())
    return role.user if role else None


@transaction.atomic
def obligation_template_apply(*, template: ObligationTemplate, contracts: Iterable[Contract], actor, owner=None,
                              starts_on: dt.date | None = None, via: str = "") -> list[Obligation]:
    """One obligation from the template on each contract that has none from it yet (those are
    skipped, so applying again changes nothing). The owner is `owner`, or else each contract's
    account manager. All or nothing: a contract that cannot take it refuses the whole batch."""
    _require_manager(actor)
    chosen = {c.pk: c for c in contracts}
    if not chosen:
        raise DomainError(_("Choose at least one contract."), field="contracts", code="required")
    if owner is not None:
        _check_owner(owner)
    already = set(Obligation.objects.filter(template=template, contract_id__in=list(chosen))
                  .values_list("contract_id", flat=True))
    created = []
    for contract in sorted(chosen.values(), key=lambda c: c.number):
        if contract.pk in already:
            continue
        contract_owner = owner or _account_manager(contract)
        if contract_owner is None:
            raise DomainError(_("%(number)s has no account manager: choose an owner.") % {"number": contract.number},
                              field="owner", code="required")
        try:
            with transaction.atomic():
                created.append(obligation_create(
                    contract=contract, actor=actor, owner=contract_owner, title=template.title,
                    description=template.description, rule=template.rule, day=template.day, month=template.month,
                    business_days=template.business_days, reminder_days=template.reminder_days,
                    starts_on=starts_on, template=template, via=via,
                ))
        except IntegrityError:
            continue  # another request applied the template to this contract meanwhile
        except DomainError as error:
            if error.field in ("contract", "rule", "starts_on", None):
                raise DomainError(f"{contract.number}: {error.message}", field="contracts", code=error.code) from error
            raise
    return created


# --- occurrences -----------------------------------------------------------------------------


def may_complete(user, occurrence: ObligationOccurrence) -> bool:
    """The obligation's owner, or an administrator or account manager, of the provider."""
    membership = membership_of(user, occurrence.tenant_id)
    if membership is None or membership.role not in PROVIDER_ROLES:
        return False
    return membership.role in CONTRACT_MANAGERS or occurrence.obligation.owner_id == user.pk


def obligation_occurrence_complete(*, occurrence: ObligationOccurrence, actor, note: str = "", upload=None,
                                   via: str = "") -> ObligationOccurrence:
    """Mark an occurrence done with its evidence (a note, a file or both): pending → done,
    overdue → done late. The file is checked like an order attachment before anything is written."""
    occurrence = ObligationOccurrence.objects.select_related("obligation").get(pk=occurrence.pk)
    if not may_complete(actor, occurrence):
        raise ActionForbidden(_("Only the obligation's owner or an account manager may mark it done."))
    note = (note or "").strip()
    if not note and upload is None:
        raise DomainError(_("Describe what was done or attach a file as evidence."), field="note", code="required")
    checked = digest = None
    if upload is not None:
        # order attachments' rules (allow-listed types whose first bytes match, size limit), one copy
        from orders.services import _check_upload, _sha256

        checked = _check_upload(upload, field="file")
        digest = _sha256(upload)
    with transaction.atomic():
        occurrence = (ObligationOccurrence.objects.select_for_update(of=("self",))
                      .select_related("obligation").get(pk=occurrence.pk))
        from_state = occurrence.state
        if from_state == OccurrenceState.PENDING:
            occurrence.complete()
        elif from_state == OccurrenceState.OVERDUE:
            occurrence.complete_late()
        else:
            raise TransitionRefused(_("This occurrence is already done."))
        occurrence.done_at = timezone.now()
        occurrence.done_by = actor
        occurrence.evidence_note = note
        if checked is not None:
            occurrence.evidence_name = checked.name
            occurrence.evidence_content_type = checked.content_type
            occurrence.evidence_size = checked.size
            occurrence.evidence_sha256 = digest
            occurrence.evidence_file.save(checked.name, upload, save=False)  # under a random name
        try:
            occurrence.save()
            _record(occurrence.obligation.contract_id, kind=ContractEvent.Kind.OBLIGATION_DONE, actor=actor, via=via,
                    summary=f"{occurrence.obligation.title} — {occurrence.due_date.isoformat()}",
                    obligation=occurrence.obligation_id, occurrence=occurrence.pk,
                    due_date=occurrence.due_date.isoformat(), from_state=from_state, to_state=occurrence.state,
                    file=checked.name if checked else "")
        except BaseException:
            if checked is not None:
                occurrence.evidence_file.delete(save=False)
            raise
    return occurrence


def obligation_occurrences_generate(*, today: dt.date | None = None) -> int:
    """The current tenant's occurrences due up to HORIZON_MONTHS ahead, for active obligations of
    active contracts. Idempotent; returns how many were missing."""
    today = today or _tenant_today()
    horizon = add_months(today, HORIZON_MONTHS)
    created = 0
    calendars: dict[int, BusinessDays] = {}
    obligations = (Obligation.objects.filter(is_active=True, contract__state__in=RUNNING)
                   .select_related("contract").order_by("contract_id", "id"))
    for obligation in obligations:
        if obligation.contract_id not in calendars:
            calendars[obligation.contract_id] = contract_business_days(obligation.contract, around=today)
        created += _generate_for(obligation, horizon=horizon, business=calendars[obligation.contract_id])
    return created


def _notify(users, *, kind: str, key: str, title: str, body: str, url: str) -> int:
    """One in-app notification per user and event (unique per user and key), emails after commit.
    (The same shape as the SLA and act notifications, which live downstream of contracts.)"""
    emails, sent = [], 0
    for user in {u.pk: u for u in users if u is not None}.values():
        try:
            with transaction.atomic():
                Notification.objects.create(tenant_id=require_tenant_id(), user=user, kind=kind, title=title[:300],
                                            body=body, url=url, dedupe_key=key[:120])
        except IntegrityError:
            continue  # already told
        sent += 1
        if user.email:
            emails.append(user.email)
    if emails:
        transaction.on_commit(lambda: [send_mail(title, body, None, [e], fail_silently=True) for e in emails])
    return sent


def _occurrence_url(occurrence: ObligationOccurrence) -> str:
    from django.urls import reverse

    return reverse("contracts:obligation-occurrence", args=[occurrence.pk])


def obligation_alerts_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Mark the current tenant's pending occurrences past their due date overdue (recorded on the
    contract's timeline), remind owners `reminder_days` before a due date and alert owner and
    account managers once an occurrence is overdue. Each reminder and alert is claimed by a
    compare-and-set on its timestamp, so two workers never send one twice."""
    today = today or _tenant_today()
    now = timezone.now()
    counts = {"overdue": 0, "reminded": 0, "alerted": 0}
    base = ObligationOccurrence.objects.filter(obligation__is_active=True)
    for pk in list(base.filter(state=OccurrenceState.PENDING, due_date__lt=today).values_list("pk", flat=True)):
        with transaction.atomic():
            if not ObligationOccurrence.objects.filter(pk=pk, state=OccurrenceState.PENDING).update(
                    state=OccurrenceState.OVERDUE, overdue_at=now):
                continue  # done or marked meanwhile
            occurrence = ObligationOccurrence.objects.select_related("obligation").get(pk=pk)
            _record(occurrence.obligation.contract_id, kind=ContractEvent.Kind.OBLIGATION_OVERDUE, actor=None,
                    summary=f"{occurrence.obligation.title} — {occurrence.due_date.isoformat()}",
                    obligation=occurrence.obligation_id, occurrence=pk, due_date=occurrence.due_date.isoformat(),
                    from_state=OccurrenceState.PENDING, to_state=OccurrenceState.OVERDUE)
            counts["overdue"] += 1

    with translation.override(settings.LANGUAGE_CODE):
        upcoming = (base.filter(state=OccurrenceState.PENDING, reminded_at__isnull=True, due_date__gte=today,
                                due_date__lte=today + dt.timedelta(days=60))
                    .select_related("obligation__owner", "obligation__contract"))
        for occurrence in upcoming:
            obligation = occurrence.obligation
            if occurrence.due_date - dt.timedelta(days=obligation.reminder_days) > today:
                continue
            with transaction.atomic():
                if not ObligationOccurrence.objects.filter(pk=occurrence.pk, reminded_at__isnull=True).update(
                        reminded_at=now):
                    continue
                title = _("Due %(date)s: %(title)s (%(number)s)") % {
                    "date": occurrence.due_date.isoformat(), "title": obligation.title,
                    "number": obligation.contract.number}
                _notify([obligation.owner], kind="obligation_reminder", key=f"obligation:{occurrence.pk}:reminder",
                        title=title, body=_("%(title)s is due on %(date)s.") % {
                            "title": obligation.title, "date": occurrence.due_date.isoformat()},
                        url=_occurrence_url(occurrence))
                counts["reminded"] += 1

        overdue = (base.filter(state=OccurrenceState.OVERDUE, alerted_at__isnull=True)
                   .select_related("obligation__owner", "obligation__contract"))
        for occurrence in overdue:
            obligation = occurrence.obligation
            with transaction.atomic():
                if not ObligationOccurrence.objects.filter(pk=occurrence.pk, alerted_at__isnull=True).update(
                        alerted_at=now):
                    continue
                managers = [r.user for r in ContractRole.objects.filter(
                    contract_id=obligation.contract_id, role=ContractRoleKind.ACCOUNT_MANAGER).select_related("user")]
                title = _("Overdue since %(date)s: %(title)s (%(number)s)") % {
                    "date": occurrence.due_date.isoformat(), "title": obligation.title,
                    "number": obligation.contract.number}
                _notify([obligation.owner, *managers], kind="obligation_overdue",
                        key=f"obligation:{occurrence.pk}:overdue", title=title,
                        body=_("%(title)s was due on %(date)s and is not done.") % {
                            "title": obligation.title, "date": occurrence.due_date.isoformat()},
                        url=_occurrence_url(occurrence))
                counts["alerted"] += 1
    return counts


# --- reads: pages, API and reports -----------------------------------------------------------


def obligation_list(*, contract_id=None, client_id=None, active: bool | None = None, owner_id=None):
    """Obligations with contract, client, owner and template loaded, and counts of their open and
    overdue occurrences."""
    queryset = Obligation.objects.select_related("contract", "contract__client", "owner", "template").annotate(
        open_count=Count("occurrences", filter=Q(occurrences__state__in=[OccurrenceState.PENDING,
                                                                          OccurrenceState.OVERDUE])),
        overdue_count=Count("occurrences", filter=Q(occurrences__state=OccurrenceState.OVERDUE)),
    ).order_by("contract__number", "title", "id")
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    if client_id is not None:
        queryset = queryset.filter(contract__client_id=client_id)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset


def obligation_get(*, obligation_id) -> Obligation:
    return obligation_list().get(pk=obligation_id)


def occurrence_list(*, contract_id=None, client_id=None, state: str | Iterable[str] | None = None,
                    owner_id=None, obligation_id=None):
    """Occurrences, soonest due first, with obligation, contract, client, owner and doer loaded."""
    queryset = ObligationOccurrence.objects.select_related(
        "obligation", "obligation__contract", "obligation__contract__client", "obligation__owner", "done_by",
    ).order_by("due_date", "id")
    if contract_id is not None:
        queryset = queryset.filter(obligation__contract_id=contract_id)
    if client_id is not None:
        queryset = queryset.filter(obligation__contract__client_id=client_id)
    if state:
        queryset = queryset.filter(state__in=[state] if isinstance(state, str) else list(state))
    if owner_id is not None:
        queryset = queryset.filter(obligation__owner_id=owner_id)
    if obligation_id is not None:
        queryset = queryset.filter(obligation_id=obligation_id)
    return queryset


def occurrence_get(*, occurrence_id) -> ObligationOccurrence:
    return occurrence_list().get(pk=occurrence_id)


def overdue_occurrences(*, contract_id=None):
    """What the dashboard and the reviews' SLA report list: overdue, oldest first."""
    return occurrence_list(contract_id=contract_id, state=OccurrenceState.OVERDUE)


def obligation_template_list():
    return ObligationTemplate.objects.annotate(obligation_count=Count("obligations")).order_by("title", "id")


def obligation_template_get(*, template_id) -> ObligationTemplate:
    return obligation_template_list().get(pk=template_id)
