"""Every write to obligations, templates and occurrences, and the two beat jobs (generate, alert)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy.audit import actor_label
from tenancy.context import require_tenant_id
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Membership, Tenant
from tenancy.roles import (
    CONTRACT_MANAGERS,
    PROVIDER_ROLES,
    membership_of,
    require_manager,
)
from tenancy.services import notify_users

from ..models import (
    Contract,
    ContractEvent,
    ContractRole,
    ContractRoleKind,
    ContractState,
    Obligation,
    ObligationOccurrence,
    ObligationTemplate,
    OccurrenceState,
)
from .rules import (
    HORIZON_MONTHS,
    BusinessDays,
    Schedule,
    add_months,
    contract_business_days,
    schedule_label,
    validate_rule,
)

# Contracts whose obligations are generated and that may get new ones.
RUNNING = (ContractState.ACTIVE,)
OPEN_FOR_OBLIGATIONS = (ContractState.DRAFT, ContractState.NEGOTIATION, ContractState.ACTIVE,
                        ContractState.SUSPENDED)
OBLIGATION_FIELDS = ("title", "description", "owner", "starts_on", "is_active", "rule", "day", "month",
                     "business_days", "reminder_days")
TEMPLATE_FIELDS = ("title", "description", "rule", "day", "month", "business_days", "reminder_days")


# --- shared by the services ------------------------------------------------------------------


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



# --- obligations -----------------------------------------------------------------------------


@transaction.atomic
def obligation_create(*, contract: Contract, actor, owner, title: str, rule: str, day=None, month=None,
                      business_days=None, reminder_days: int = 3, description: str = "",
                      starts_on: dt.date | None = None, template: ObligationTemplate | None = None,
                      via: str = "") -> Obligation:
    """A recurring duty of the contract; its occurrences up to the horizon are created at once
    when the contract is running."""
    require_manager(actor, system=True)
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


SCHEDULE_FIELDS = frozenset({"rule", "day", "month", "business_days", "starts_on", "is_active"})


@transaction.atomic
def obligation_update(*, obligation: Obligation, actor, via: str = "", **changes: Any) -> Obligation:
    """Change an obligation. A new rule or start, or stopping it, removes the pending occurrences
    from today on that no longer fall due (done and overdue ones stay) and creates the new ones."""
    require_manager(actor, system=True)
    obligation = Obligation.objects.select_for_update(of=("self",)).select_related("contract").get(pk=obligation.pk)
    contract = obligation.contract
    updates = _checked_updates(obligation, changes)
    changed = _assign(obligation, updates)
    if not changed:
        return obligation
    schedule = Schedule.of(obligation)
    if obligation.is_active and SCHEDULE_FIELDS & changed.keys():
        _check_fires(contract, schedule, obligation.starts_on)
    obligation.save()
    if SCHEDULE_FIELDS & changed.keys():
        _reschedule(obligation, schedule)
    _record(contract.pk, kind=ContractEvent.Kind.OBLIGATION_CHANGED, actor=actor, via=via,
            summary=_describe(obligation), obligation=obligation.pk, changed=changed)
    return obligation


def _checked_updates(obligation: Obligation, changes: dict[str, Any]) -> dict[str, Any]:
    """The fields `obligation_update` may change, cleaned and checked against the obligation's others."""
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
    return updates


def _assign(obligation: Obligation, updates: dict[str, Any]) -> dict[str, list[str]]:
    """Set the values that differ; return them as {field: [old, new]} in text, for the event."""
    changed = {}
    for key, value in updates.items():
        old = getattr(obligation, key)
        if old != value:
            changed[key] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(obligation, key, value)
    return changed


def _reschedule(obligation: Obligation, schedule: Schedule) -> None:
    """After a change of rule, start or activity: drop the pending occurrences that no longer fall
    due and, on a running contract, create the ones that now do."""
    contract = obligation.contract
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
    require_manager(actor, system=True)
    values = _template_fields(fields)
    try:
        with transaction.atomic():
            return ObligationTemplate.objects.create(tenant_id=require_tenant_id(), created_by=actor, **values)
    except IntegrityError as exc:
        raise DomainError(_("This value is already used in your organisation."), field="title", code="unique") from exc


@transaction.atomic
def obligation_template_update(*, template: ObligationTemplate, actor, **changes: Any) -> ObligationTemplate:
    """Change a template; obligations already made from it keep their own rule."""
    require_manager(actor, system=True)
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
    require_manager(actor, system=True)
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
    checked, digest = None, ""
    if upload is not None:
        # order attachments' rules (allow-listed types whose first bytes match, size limit), one copy
        from tenancy.uploads import check_upload, upload_sha256

        checked = check_upload(upload, field="file")
        digest = upload_sha256(upload)
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
    base = ObligationOccurrence.objects.filter(obligation__is_active=True)
    overdue = _mark_overdue(base, today=today, now=now)
    with translation.override(settings.LANGUAGE_CODE):
        reminded = _send_reminders(base, today=today, now=now)
        alerted = _send_overdue_alerts(base, now=now)
    return {"overdue": overdue, "reminded": reminded, "alerted": alerted}


def _mark_overdue(base, *, today: dt.date, now: dt.datetime) -> int:
    """Pending occurrences due before today become overdue, each recorded on its contract's timeline."""
    marked = 0
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
            marked += 1
    return marked


def _send_reminders(base, *, today: dt.date, now: dt.datetime) -> int:
    """Remind each owner once, `reminder_days` before a pending occurrence falls due."""
    reminded = 0
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
            notify_users([obligation.owner], kind="obligation_reminder", key=f"obligation:{occurrence.pk}:reminder",
                         title=title, body=_("%(title)s is due on %(date)s.") % {
                             "title": obligation.title, "date": occurrence.due_date.isoformat()},
                         url=_occurrence_url(occurrence))
            reminded += 1
    return reminded


def _send_overdue_alerts(base, *, now: dt.datetime) -> int:
    """Alert the owner and the contract's account managers once about each overdue occurrence."""
    alerted = 0
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
            notify_users([obligation.owner, *managers], kind="obligation_overdue",
                         key=f"obligation:{occurrence.pk}:overdue", title=title,
                         body=_("%(title)s was due on %(date)s and is not done.") % {
                             "title": obligation.title, "date": occurrence.due_date.isoformat()},
                         url=_occurrence_url(occurrence))
            alerted += 1
    return alerted

