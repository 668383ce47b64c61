"""Every write to amendments, and the two beat jobs (apply the due ones, renewals).

Lock order, everywhere: the contract row first, then the amendment row (`select_for_update(of=
("self",))`), never the tenant's. Agree, reject, cancel and apply fire through `tenancy.transitions`
(`AMENDMENT_MACHINE` takes the contract's lock first); each writes an event on the contract's timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.context import require_tenant_id
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.lockout import signing_failure_record, signing_locked_check
from tenancy.models import Tenant
from tenancy.numbering import next_number
from tenancy.roles import CONTRACT_MANAGERS, Role, membership_of
from tenancy.services import notify_users
from tenancy.transitions import Machine, fire

from .. import versions
from ..models import (
    OPEN_AMENDMENT_STATES,
    Amendment,
    AmendmentConsent,
    AmendmentSide,
    AmendmentState,
    Contract,
    ContractEvent,
    ContractRole,
    ContractRoleKind,
    ContractState,
    ContractVersion,
)
from ..obligations.rules import add_months
from .rules import canonical_text, core_python_value, document_sha256, term_label, validate_changes

# Contracts whose terms an amendment may change.
AMENDABLE = (ContractState.ACTIVE, ContractState.SUSPENDED)
CONSENT_TEXT = gettext_lazy(
    "I have read amendment %(number)s to contract %(contract)s (SHA-256 %(sha256)s), I agree to it on behalf of "
    "%(client)s, and I agree that this electronic confirmation is my signature."
)


# --- who is on which side ----------------------------------------------------------------------


def side_of(user, contract: Contract) -> str | None:
    """The side `user` may act for on `contract`: provider (administrator or account manager),
    client (the contract's client signatory or an administrator of its client), or None."""
    membership = membership_of(user, contract.tenant_id)
    if membership is None or not membership.is_active:
        return None
    if membership.role in CONTRACT_MANAGERS:
        return AmendmentSide.PROVIDER
    if membership.client_id != contract.client_id:
        return None
    if membership.role == Role.CLIENT_ADMIN:
        return AmendmentSide.CLIENT
    if membership.role == Role.CLIENT_SIGNATORY and ContractRole.objects.filter(
            contract_id=contract.pk, role=ContractRoleKind.CLIENT_SIGNATORY, user=user).exists():
        return AmendmentSide.CLIENT
    return None


def may_decide(user, amendment: Amendment) -> bool:
    return amendment.state == AmendmentState.PROPOSED and side_of(user, amendment.contract) == amendment.other_side


def may_cancel(user, amendment: Amendment) -> bool:
    return amendment.is_open and side_of(user, amendment.contract) == amendment.proposed_side


# --- shared --------------------------------------------------------------------------------------


def _today(contract: Contract | None = None) -> dt.date:
    if contract is not None:
        return contract.tenant.today()
    return Tenant.objects.get(pk=require_tenant_id()).today()


def _record(amendment: Amendment, kind: str, *, actor, via: str = "", note: str = "", **data: Any) -> ContractEvent:
    return ContractEvent.record(amendment.contract, kind=kind, actor=actor, via=via, note=note,
                                data={"amendment": amendment.pk, "number": amendment.number,
                                      "summary": _summary(amendment), **data})


def _summary(amendment: Amendment) -> str:
    names = ", ".join(term_label(name) for name in amendment.changes)
    return f"{amendment.number}: {names}"


def _check_date(contract: Contract, effective_date, *, exclude_version_date: bool = False) -> None:
    """The effective date is a date, not before the contract's start or its latest version, and
    no guard (e.g. billing: an invoiced period) objects to it."""
    if not isinstance(effective_date, dt.date):
        raise DomainError(_("Give the date the change takes effect."), field="effective_date", code="required")
    if contract.start_date and effective_date < contract.start_date:
        raise DomainError(_("An amendment cannot take effect before the contract starts."), field="effective_date",
                          code="before_start")
    latest = (ContractVersion.objects.filter(contract=contract).order_by("-effective_from")
              .values_list("effective_from", flat=True).first())
    if latest is not None and effective_date < latest:
        raise DomainError(_("The contract's terms have already changed from %(date)s; an amendment takes effect on "
                            "or after that date.") % {"date": latest.isoformat()},
                          field="effective_date", code="before_latest_version")
    if problems := versions.effective_date_problems(contract, effective_date):
        raise DomainError(problems[0], field="effective_date", code="guarded", messages=problems)


def _check_overlap(amendment_changes: dict, contract: Contract, effective_date: dt.date, *,
                   exclude_pk: int | None = None) -> None:
    others = Amendment.objects.filter(contract=contract, effective_date=effective_date,
                                      state__in=OPEN_AMENDMENT_STATES)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for other in others:
        for name in amendment_changes:
            if name in other.changes:
                raise DomainError(
                    _("Amendment %(number)s already changes this term from the same date.") % {"number": other.number},
                    field=f"changes.{name}", code="overlap")


def _check_contract(contract: Contract) -> None:
    if contract.state not in AMENDABLE:
        raise TransitionRefused(_("Only an active or suspended contract can be amended; this one is %(state)s.")
                                % {"state": contract.get_state_display().lower()}, code="not_amendable")


def _urls(amendment: Amendment) -> tuple[str, str]:
    return (reverse("contracts:amendment-detail", args=[amendment.pk]),
            reverse("contracts:portal-amendment-detail", args=[amendment.pk]))


def _users_of_side(contract: Contract, side: str) -> list:
    role = ContractRoleKind.ACCOUNT_MANAGER if side == AmendmentSide.PROVIDER else ContractRoleKind.CLIENT_SIGNATORY
    return [r.user for r in ContractRole.objects.filter(contract=contract, role=role).select_related("user")]


def _notify_side(amendment: Amendment, side: str, users, *, event: str, title, body) -> None:
    provider_url, portal_url = _urls(amendment)
    notify_users(users, kind=f"amendment_{event}", key=f"amendment:{amendment.pk}:{event}", title=title, body=body,
                 url=provider_url if side == AmendmentSide.PROVIDER else portal_url)


# --- propose, agree, reject, cancel -------------------------------------------------------------


def amendment_propose(*, contract: Contract, actor, effective_date, reason: str, changes: dict, via: str = "",
                      renews_end_date: dt.date | None = None) -> Amendment:
    """One side proposes a change to an active (or suspended) contract from `effective_date`; the
    other side is told. `actor=None` is the system (an automatic renewal), on the provider's side."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update(of=("self",)).get(pk=contract.pk)
        side = AmendmentSide.PROVIDER if actor is None else side_of(actor, contract)
        if side is None:
            raise ActionForbidden(_("Only an administrator or account manager of the provider, or the client's "
                                    "signatory, may propose an amendment."))
        _check_contract(contract)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(_("Say why the contract changes."), field="reason", code="required")
        _check_date(contract, effective_date)
        normalised = validate_changes(contract, changes, effective_date=effective_date)
        _check_overlap(normalised, contract, effective_date)
        try:
            with transaction.atomic():
                amendment = Amendment.objects.create(
                    tenant_id=contract.tenant_id, contract=contract, effective_date=effective_date,
                    reason=reason[:5000], changes=normalised, proposed_by=actor, proposed_side=side,
                    renews_end_date=renews_end_date, number=next_number(series="AM", tenant_id=contract.tenant_id),
                )
        except IntegrityError as exc:
            raise DomainError(_("This term is already being renewed."), field="changes.end_date",
                              code="overlap") from exc
        amendment.contract = contract
        _record(amendment, ContractEvent.Kind.AMENDMENT_PROPOSED, actor=actor, via=via, note=reason,
                effective_date=effective_date.isoformat(), side=side)
        if actor is not None:
            other = amendment.other_side
            with translation.override(settings.LANGUAGE_CODE):
                _notify_side(amendment, other, _users_of_side(contract, other), event="proposed",
                             title=_("Amendment %(number)s to %(contract)s is proposed")
                             % {"number": amendment.number, "contract": contract.number},
                             body=_("%(name)s proposes to change %(terms)s from %(date)s: %(reason)s") % {
                                 "name": actor.get_full_name() or actor.get_username(),
                                 "terms": ", ".join(term_label(n) for n in normalised),
                                 "date": effective_date.isoformat(), "reason": reason})
    return amendment


def _decided_notice(amendment: Amendment, *, event: str, actor, note: str) -> None:
    if amendment.proposed_by is None:
        return
    label = {"agreed": _("agreed"), "rejected": _("rejected")}[event]
    with translation.override(settings.LANGUAGE_CODE):
        _notify_side(amendment, amendment.proposed_side, [amendment.proposed_by], event=event,
                     title=_("Amendment %(number)s was %(decision)s") % {"number": amendment.number, "decision": label},
                     body=_("%(name)s %(decision)s amendment %(number)s. %(note)s") % {
                         "name": actor.get_full_name() or actor.get_username() if actor else _("System"),
                         "decision": label, "number": amendment.number, "note": note})


def _lock_contract(amendment: Amendment) -> None:
    """The contract row before the amendment's: the one lock order."""
    Contract.objects.select_for_update(of=("self",)).get(pk=amendment.contract_id)


def _amendment_permits(amendment: Amendment, meta, actor) -> None:
    if meta.name == "reject" and side_of(actor, amendment.contract) != amendment.other_side:
        raise ActionForbidden(_("The other side of the contract decides on this amendment."))
    if meta.name == "cancel" and side_of(actor, amendment.contract) != amendment.proposed_side:
        raise ActionForbidden(_("Only the side that proposed an amendment may cancel it."))


_EVENT_KINDS = {"agree": ContractEvent.Kind.AMENDMENT_AGREED, "reject": ContractEvent.Kind.AMENDMENT_REJECTED,
                "cancel": ContractEvent.Kind.AMENDMENT_CANCELLED, "apply": ContractEvent.Kind.AMENDMENT_APPLIED}


def _amendment_event(contract: Contract, *, obj: Amendment, name: str, source: str, target: str, actor, via: str,
                     note: str, data: dict) -> ContractEvent:
    """An amendment's steps go on its contract's timeline, by kind, naming the amendment."""
    return _record(obj, _EVENT_KINDS[name], actor=actor, via=via, note=note, **data)


AMENDMENT_MACHINE = Machine(
    events=ContractEvent,
    transitions=tuple(_EVENT_KINDS),
    lock_first=_lock_contract,
    locked=lambda: Amendment.objects.select_for_update(of=("self",)).select_related("contract"),
    refused=lambda amendment: _("Only an agreed amendment can be applied."),
    refusals={
        "agree": lambda amendment: _("A %(state)s amendment cannot be agreed.") % {
            "state": amendment.get_state_display().lower()},
        "reject": lambda amendment: _("A %(state)s amendment cannot be rejected.") % {
            "state": amendment.get_state_display().lower()},
        "cancel": lambda amendment: _("A %(state)s amendment cannot be cancelled.") % {
            "state": amendment.get_state_display().lower()},
    },
    permits=_amendment_permits,
    subject=lambda amendment: amendment.contract,
    event=_amendment_event,
)


def amendment_agree(*, amendment: Amendment, actor, password: str = "", consent: bool = False,
                    ip_address: str | None = None, user_agent: str = "", note: str = "", via: str = "") -> Amendment:
    """The other side agrees. A provider's amendment is agreed by the client's signatory with the
    password re-entered and the consent ticked (the evidence is kept; wrong passwords count toward
    the signing lockout shared with acts); a client's by the provider's administrator or account
    manager. The guards and overlaps are checked again; an amendment whose date has come is applied
    at once."""
    amendment = Amendment.objects.select_related("contract", "contract__client", "tenant").get(pk=amendment.pk)
    if not may_decide(actor, amendment):
        if amendment.state != AmendmentState.PROPOSED:
            raise TransitionRefused(_("A %(state)s amendment cannot be agreed.")
                                    % {"state": amendment.get_state_display().lower()})
        raise ActionForbidden(_("The other side of the contract agrees to this amendment."))
    needs_signature = amendment.proposed_side == AmendmentSide.PROVIDER
    if needs_signature:
        _check_signature(amendment, actor, password=password, consent=consent)
    agreement = _Agreement(actor=actor, note=note, signed=needs_signature, ip_address=ip_address,
                           user_agent=user_agent)
    with transaction.atomic():
        amendment = fire(AMENDMENT_MACHINE, amendment, "agree", actor=actor, note=note, via=via,
                         before=agreement.decide, after=agreement.keep_evidence)
        _decided_notice(amendment, event="agreed", actor=actor, note=amendment.decision_note)
        if amendment.effective_date <= _today(amendment.contract):
            amendment = _apply_fired(amendment, actor=actor, via=via)
    return amendment


def _check_signature(amendment: Amendment, actor, *, password: str, consent: bool) -> None:
    if not consent:
        raise DomainError(_("Tick the box to agree that this confirmation is your signature."), field="consent",
                          code="required")
    signing_locked_check(subject=amendment, actor=actor, field="password")
    if not password:
        raise DomainError(_("Enter your password."), field="password", code="required")
    if not actor.check_password(password):
        signing_failure_record(subject=amendment, actor=actor, field="password")
        raise DomainError(_("The password is wrong."), field="password", code="wrong_password")


@dataclass
class _Agreement:
    """The agreement's own steps in the transition: the checks again, then the evidence."""

    actor: Any
    note: str
    signed: bool
    ip_address: str | None
    user_agent: str

    def decide(self, amendment: Amendment, now: dt.datetime) -> None:
        contract = amendment.contract
        _check_contract(contract)
        _check_date(contract, amendment.effective_date)
        _check_overlap(amendment.changes, contract, amendment.effective_date, exclude_pk=amendment.pk)
        amendment.decided_by, amendment.decided_at = self.actor, now
        amendment.decision_note = (self.note or "").strip()

    def keep_evidence(self, amendment: Amendment, now: dt.datetime) -> dict:
        if not self.signed:
            return {}
        contract, actor = amendment.contract, self.actor
        sha = document_sha256(amendment)
        AmendmentConsent.objects.create(
            tenant_id=amendment.tenant_id, amendment=amendment, signer=actor,
            signer_name=actor.get_full_name() or actor.get_username(), signed_at=now,
            ip_address=self.ip_address or None, user_agent=(self.user_agent or "")[:1000], document_sha256=sha,
            consent_text=str(CONSENT_TEXT) % {"number": amendment.number, "contract": contract.number,
                                              "sha256": sha,
                                              "client": contract.client.legal_name or contract.client.name})
        return {"sha256": sha}


def amendment_reject(*, amendment: Amendment, actor, note: str, via: str = "") -> Amendment:
    """The other side refuses, saying why."""
    note = (note or "").strip()

    def decide(amendment: Amendment, now: dt.datetime) -> None:
        if not note:
            raise DomainError(_("Say why you reject the amendment."), field="note", code="required")
        amendment.decided_by, amendment.decided_at, amendment.decision_note = actor, now, note[:5000]

    with transaction.atomic():
        amendment = fire(AMENDMENT_MACHINE, amendment, "reject", actor=actor, note=note, via=via, before=decide)
        _decided_notice(amendment, event="rejected", actor=actor, note=note)
    return amendment


def amendment_cancel(*, amendment: Amendment, actor, note: str = "", via: str = "") -> Amendment:
    """The proposing side withdraws a proposed or agreed (not yet applied) amendment."""
    def keep_note(amendment: Amendment, _now) -> None:
        amendment.decision_note = (note or "").strip()[:5000] or amendment.decision_note

    return fire(AMENDMENT_MACHINE, amendment, "cancel", actor=actor, note=note, via=via, before=keep_note)


# --- applying ------------------------------------------------------------------------------------


def _apply_fired(amendment: Amendment, *, actor, via: str = "", check=None) -> Amendment:
    """Make the agreed amendment the contract's terms and write the version in force from its
    date, through the transition (which locks the contract, then the amendment)."""
    written: dict[str, Any] = {}

    def new_terms(amendment: Amendment, now: dt.datetime) -> None:
        contract = amendment.contract
        versions.version_baseline(contract=contract, actor=actor)
        before = versions.snapshot(contract)
        _set_terms(contract, amendment, actor)
        version = versions.version_write(contract=contract, effective_from=amendment.effective_date, actor=actor,
                                         note=amendment.number)
        written["diff"] = versions.versions_diff(before, version.terms)
        amendment.applied_at = now
        amendment.version = version

    def data(amendment: Amendment, _now) -> dict:
        assert amendment.version is not None  # new_terms wrote it
        return {"version": amendment.version.number, "effective_date": amendment.effective_date.isoformat(),
                "diff": [[name, old, new] for name, old, new in written["diff"]]}

    return fire(AMENDMENT_MACHINE, amendment, "apply", actor=actor, via=via, check=check, before=new_terms,
                after=data)


def _set_terms(contract: Contract, amendment: Amendment, actor) -> None:
    sections = versions.sections()
    core = [name for name in amendment.changes if name in versions.CORE_TERMS]
    for name in core:
        setattr(contract, name, core_python_value(name, amendment.changes[name]))
    if core:
        Contract.objects.filter(pk=contract.pk).update(**{name: getattr(contract, name) for name in core},
                                                       updated_at=timezone.now())
    for name, value in amendment.changes.items():
        if name in sections:
            sections[name].apply(contract, value, actor)
    contract.__dict__.pop("_versions_cache", None)


class _NotDue(Exception):
    pass


def _apply(amendment_id: int, *, actor=None, via: str = "") -> bool:
    """Apply one agreed amendment whose date has come; False when it is already applied (another
    worker did it) or not due. Refusals (the contract ended, a guard) raise."""
    def due(amendment: Amendment) -> None:
        contract = amendment.contract
        if amendment.state != AmendmentState.AGREED or amendment.effective_date > _today(contract):
            raise _NotDue
        _check_contract(contract)
        latest = (ContractVersion.objects.filter(contract=contract).order_by("-effective_from")
                  .values_list("effective_from", flat=True).first())
        if latest is not None and amendment.effective_date < latest:
            raise TransitionRefused(_("The contract's terms have already changed from a later date."),
                                    code="before_latest_version")

    contract_id = Amendment.objects.values_list("contract_id", flat=True).get(pk=amendment_id)
    try:
        _apply_fired(Amendment(pk=amendment_id, contract_id=contract_id), actor=actor, via=via, check=due)
    except _NotDue:
        return False
    return True


def amendment_apply(*, amendment: Amendment, actor=None, via: str = "") -> Amendment:
    """Apply an agreed amendment whose effective date has come. Idempotent: applying it again, or in
    two workers at once, applies it once (one version, one event)."""
    state = Amendment.objects.values_list("state", "effective_date").get(pk=amendment.pk)
    if state[0] not in (AmendmentState.AGREED, AmendmentState.APPLIED):
        raise TransitionRefused(_("Only an agreed amendment can be applied."))
    _apply(amendment.pk, actor=actor, via=via)
    return Amendment.objects.get(pk=amendment.pk)


def amendments_apply_due() -> int:
    """The current tenant's agreed amendments whose date has come, applied (beat). Returns how many."""
    today = _today()
    due = Amendment.objects.filter(state=AmendmentState.AGREED, effective_date__lte=today).order_by(
        "effective_date", "id").values_list("pk", flat=True)
    applied = 0
    for pk in list(due):
        try:
            applied += _apply(pk)
        except DomainError:
            continue  # the contract ended or a guard objects: it stays agreed, visible on its page
    return applied


# --- renewals ------------------------------------------------------------------------------------


def _renewal_reason(contract: Contract) -> str:
    assert contract.end_date is not None  # only a contract with an end date renews
    with translation.override(settings.LANGUAGE_CODE):
        return _("Renewal for %(months)s months, to %(date)s.") % {
            "months": contract.renewal_term_months,
            "date": add_months(contract.end_date, contract.renewal_term_months).isoformat()}


def contract_renew(*, contract: Contract, actor, via: str = "") -> Amendment:
    """Propose extending the contract's end date by its renewal term, effective today, for the
    other side to agree."""
    contract = Contract.objects.get(pk=contract.pk)
    if contract.end_date is None:
        raise DomainError(_("An open-ended contract has no end date to extend."), field="end_date",
                          code="open_ended")
    today = _today(contract)
    latest = (ContractVersion.objects.filter(contract=contract).order_by("-effective_from")
              .values_list("effective_from", flat=True).first())
    effective = max(d for d in (today, contract.start_date, latest) if d is not None)
    return amendment_propose(
        contract=contract, actor=actor, effective_date=effective, reason=_renewal_reason(contract),
        changes={"end_date": add_months(contract.end_date, contract.renewal_term_months).isoformat()},
        via=via, renews_end_date=contract.end_date)


def _auto_renew_one(pk: int, today: dt.date) -> bool:
    """Renew one auto-renewing contract whose end date has come: an amendment by the system,
    agreed by the contract's own renewal clause, applied at once, effective on the old end date."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update(of=("self",)).get(pk=pk)
        if (not contract.auto_renew or contract.state not in AMENDABLE or contract.end_date is None
                or contract.end_date > today):
            return False  # renewed by another worker meanwhile, or no longer due
        old_end = contract.end_date
        effective = old_end
        if versions.effective_date_problems(contract, effective):
            effective = today
        try:
            with transaction.atomic():
                amendment = amendment_propose(
                    contract=contract, actor=None, effective_date=effective, reason=_renewal_reason(contract),
                    changes={"end_date": add_months(old_end, contract.renewal_term_months).isoformat()},
                    via="", renews_end_date=old_end)
        except DomainError:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            note = _("Agreed in advance by the contract's automatic renewal clause.")

        def agreed(amendment: Amendment, now: dt.datetime) -> None:
            amendment.decided_at, amendment.decision_note = now, note

        amendment = fire(AMENDMENT_MACHINE, amendment, "agree", actor=None, note=note, before=agreed)
        amendment = _apply_fired(amendment, actor=None)
        contract = amendment.contract
        with translation.override(settings.LANGUAGE_CODE):
            _notify_side(amendment, AmendmentSide.PROVIDER, _users_of_side(contract, AmendmentSide.PROVIDER),
                         event="renewed", title=_("%(contract)s renewed itself to %(date)s") % {
                             "contract": contract.number, "date": str(contract.end_date)},
                         body=amendment.reason)
    return True


def contracts_auto_renew(*, today: dt.date | None = None) -> int:
    """Renew the current tenant's auto-renewing contracts whose end date has come (catching up when
    the beat missed days: a contract renews as many terms as it takes to run past today)."""
    today = today or _today()
    renewed = 0
    for _round in range(50):  # a term of at least a month: 50 rounds catch up four years
        due = list(Contract.objects.filter(auto_renew=True, state__in=AMENDABLE, end_date__lte=today)
                   .values_list("pk", flat=True))
        done = sum(_auto_renew_one(pk, today) for pk in due)
        renewed += done
        if not done:
            break
    return renewed


def renewal_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the account managers of contracts ending within their notice days, once per end date
    (a compare-and-set on `renewal_reminded_for`)."""
    today = today or _today()
    sent = 0
    candidates = (Contract.objects.filter(state__in=AMENDABLE, end_date__isnull=False, end_date__gte=today)
                  .values_list("pk", "end_date", "renewal_notice_days", "renewal_reminded_for"))
    for pk, end_date, notice_days, reminded_for in list(candidates):
        if reminded_for == end_date or end_date - dt.timedelta(days=notice_days) > today:
            continue
        with transaction.atomic():
            claimed = (Contract.objects.filter(pk=pk, end_date=end_date).exclude(renewal_reminded_for=end_date)
                       .update(renewal_reminded_for=end_date))
            if not claimed:
                continue
            contract = Contract.objects.get(pk=pk)
            ContractEvent.record(contract, kind=ContractEvent.Kind.RENEWAL_REMINDED, actor=None,
                                 data={"end_date": end_date.isoformat()})
            with translation.override(settings.LANGUAGE_CODE):
                if contract.auto_renew:
                    body = _("It renews itself for %(months)s months on that day unless you change it.") % {
                        "months": contract.renewal_term_months}
                else:
                    body = _("Renew it from the contract's page, or let it expire.")
                notify_users(_users_of_side(contract, AmendmentSide.PROVIDER), kind="contract_renewal",
                             key=f"contract:{pk}:renewal:{end_date.isoformat()}",
                             title=_("%(contract)s ends on %(date)s") % {"contract": contract.number,
                                                                         "date": end_date.isoformat()},
                             body=body, url=reverse("contracts:contract-detail", args=[pk]) + "#amendments")
            sent += 1
    return sent


def contracts_renewals() -> int:
    """The daily renewal job of the current tenant: automatic renewals first, then reminders."""
    return contracts_auto_renew() + renewal_reminders_send()


__all__ = [
    "AMENDABLE", "CONSENT_TEXT", "amendment_agree", "amendment_apply", "amendment_cancel", "amendment_propose",
    "amendment_reject", "amendments_apply_due", "canonical_text", "contract_renew", "contracts_auto_renew",
    "contracts_renewals", "may_cancel", "may_decide", "renewal_reminders_send", "side_of",
]
