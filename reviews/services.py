"""Every write to reviews: create (by hand or by the beat), prepare and refresh the report, hold,
close, cancel; the plan's action items; the client's confirmation of minutes and plan; reminders.

Each runs in one transaction, records a timeline row (who, when, from, to), and sends its
notifications (in-app and email) after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from contracts.models import Contract, ContractRole, ContractRoleKind, ContractState
from tenancy.context import require_tenant_id
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.lockout import signing_failure_record, signing_locked_check
from tenancy.models import Membership, Tenant
from tenancy.roles import (
    CLIENT_ROLES,
    CONTRACT_MANAGERS,
    PROVIDER_ROLES,
    Role,
    membership_of,
    require_manager,
)
from tenancy.services import notify_users
from tenancy.transitions import Machine, fire

from . import selectors
from .models import (
    ITEM_TRANSITIONS,
    REFRESHABLE_STATES,
    REVIEW_TRANSITIONS,
    ActionItem,
    Review,
    ReviewConfirmation,
    ReviewEvent,
    ReviewKind,
    ReviewState,
)
from .periods import KINDS_OF_CADENCE, last_ended_period

TEXT_MAX = 20000
ESCALATE_AFTER_DAYS = 3  # an action item overdue this many days is escalated to the account manager
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".docx", ".xlsx", ".odt", ".ods", ".zip")
CONSENT_TEXT = ngettext_lazy(  # as signed, in the signer's language, kept on the confirmation
    "I confirm, on behalf of %(client)s, the minutes of the %(kind)s review of contract %(contract)s for "
    "%(start)s – %(end)s held on %(held_on)s and its plan of %(items)s action item (SHA-256 %(sha256)s), "
    "and I agree that this electronic confirmation is my signature.",
    "I confirm, on behalf of %(client)s, the minutes of the %(kind)s review of contract %(contract)s for "
    "%(start)s – %(end)s held on %(held_on)s and its plan of %(items)s action items (SHA-256 %(sha256)s), "
    "and I agree that this electronic confirmation is my signature.",
    "items",
)


# --- shared -----------------------------------------------------------------------------------


def _record(review: Review, *, kind: str, actor=None, via: str = "", item: ActionItem | None = None,
            **fields) -> ReviewEvent:
    return ReviewEvent.record(review, kind=kind, actor=actor, via=via, item=item, **fields)


def _lock(review: Review) -> Review:
    return (Review.objects.select_for_update(of=("self",)).select_related("contract", "contract__tenant", "client")
            .get(pk=review.pk))


def _today(tenant_id: int) -> dt.date:
    return Tenant.objects.get(pk=tenant_id).today()


def _text(value, *, field: str, required: bool = True, label=None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(label or _("This field is required."), field=field, code="required")
    if len(value) > TEXT_MAX:
        raise DomainError(_("The text is longer than %(limit)s characters.") % {"limit": TEXT_MAX}, field=field,
                          code="max_length")
    return value


def _as_date(value, *, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_("Enter a date like 2026-05-04."), field=field, code="invalid") from None


def notify(users, *, kind: str, key: str, title, body, url: str) -> int:
    """`tenancy.services.notify_users`, with the texts rendered in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        title, body = str(title), str(body)
    return notify_users(users, kind=kind, key=key, title=title, body=body, url=url)


def _account_managers(contract_id: int):
    return [r.user for r in ContractRole.objects.filter(contract_id=contract_id, role=ContractRoleKind.ACCOUNT_MANAGER)
            .select_related("user")]


def _client_admins(client_id: int):
    ids = Membership.objects.filter(client_id=client_id, role=Role.CLIENT_ADMIN, is_active=True).values("user_id")
    return list(get_user_model().objects.filter(pk__in=ids))


def review_url(review: Review) -> str:
    return f"/reviews/{review.pk}/"


def portal_review_url(review: Review) -> str:
    return f"/portal/reviews/{review.pk}/"


# --- creating ---------------------------------------------------------------------------------


def _check_new_review(*, contract: Contract, kind: str, period_start, period_end, proposed_meeting_date,
                      today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    if contract.state != ContractState.ACTIVE:
        raise DomainError(_("Reviews are held only for an active contract."), field="contract", code="invalid")
    if kind not in ReviewKind.values:
        raise DomainError(_("Choose quarterly, half-yearly or annual."), field="kind", code="invalid")
    period_start = _as_date(period_start, field="period_start")
    period_end = _as_date(period_end, field="period_end")
    if period_start is None:
        raise DomainError(_("Give the first day of the period."), field="period_start", code="required")
    if period_end is None:
        raise DomainError(_("Give the last day of the period."), field="period_end", code="required")
    if period_end < period_start:
        raise DomainError(_("The period ends before it starts."), field="period_end", code="invalid")
    if period_end >= today:
        raise DomainError(_("A review covers a period that has ended; this one ends on %(end)s.")
                          % {"end": period_end.isoformat()}, field="period_end", code="future_period")
    if (period_end - period_start).days > 366:
        raise DomainError(_("A review covers at most a year."), field="period_end", code="invalid")
    meeting = _as_date(proposed_meeting_date, field="proposed_meeting_date")
    if meeting is None:
        meeting = max(today, period_end + dt.timedelta(days=1)) + dt.timedelta(days=contract.review_lead_days)
    if meeting <= period_end:
        raise DomainError(_("The meeting can only be after the period ends (%(end)s).")
                          % {"end": period_end.isoformat()}, field="proposed_meeting_date", code="invalid")
    if meeting > today + dt.timedelta(days=366):
        raise DomainError(_("Propose a meeting within a year."), field="proposed_meeting_date", code="invalid")
    return period_start, period_end, meeting


def review_create(*, contract: Contract, kind: str, period_start, period_end, proposed_meeting_date=None,
                  actor=None, via: str = "") -> Review:
    """A scheduled review of `contract` for a period that has ended. `actor` None: the beat task.

    One per contract, kind and period: a second one is refused (the unique constraint decides)."""
    if actor is not None:
        require_manager(actor)
    with transaction.atomic():
        contract = Contract.objects.select_related("tenant").get(pk=contract.pk)
        period_start, period_end, meeting = _check_new_review(
            contract=contract, kind=kind, period_start=period_start, period_end=period_end,
            proposed_meeting_date=proposed_meeting_date, today=contract.tenant.today())
        try:
            with transaction.atomic():
                review = Review.objects.create(contract=contract, client_id=contract.client_id, kind=kind,
                                               period_start=period_start, period_end=period_end,
                                               proposed_meeting_date=meeting, created_by=actor)
        except IntegrityError:
            raise DomainError(_("This contract already has a %(kind)s review of this period.")
                              % {"kind": ReviewKind(kind).label.lower()}, field="period_start",
                              code="duplicate") from None
        _record(review, kind=ReviewEvent.Kind.CREATED, actor=actor, via=via, to_state=review.state,
                data={"kind": kind, "period_start": period_start.isoformat(), "period_end": period_end.isoformat(),
                      "proposed_meeting_date": meeting.isoformat()})
        title = _("%(kind)s review of contract %(number)s is scheduled") % {
            "kind": review.get_kind_display(), "number": contract.number}
        body = _("The review of %(start)s – %(end)s is proposed for %(date)s.") % {
            "start": period_start.isoformat(), "end": period_end.isoformat(), "date": meeting.isoformat()}
        notify(_account_managers(contract.pk), kind="review_scheduled", key=f"review:{review.pk}:created",
               title=title, body=body, url=review_url(review))
        notify(_client_admins(contract.client_id), kind="review_scheduled", key=f"review:{review.pk}:created",
               title=title, body=body, url=portal_review_url(review))
    return review


def reviews_create_due() -> int:
    """Create, for every active contract of the current tenant, the review of each kind its cadence
    asks for whose period ended most recently. Safe to run any number of times, even at once."""
    tenant = Tenant.objects.get(pk=require_tenant_id())
    today = tenant.today()
    contracts = list(selectors.active_contracts_for_reviews())
    wanted = []
    for contract in contracts:
        for kind in KINDS_OF_CADENCE.get(contract.review_cadence, ()):
            period = last_ended_period(kind, today=today, contract_start=contract.start_date)
            if period is None or (contract.end_date is not None and contract.end_date < period[0]):
                continue
            wanted.append((contract, kind, period))
    existing = set(Review.objects.filter(contract_id__in=[c.pk for c, _k, _p in wanted])
                   .values_list("contract_id", "kind", "period_start"))
    created = 0
    for contract, kind, (start, end) in wanted:
        if (contract.pk, kind, start) in existing:
            continue
        try:
            review_create(contract=contract, kind=kind, period_start=start, period_end=end)
        except DomainError:
            continue  # made by a concurrent beat a moment ago, or the contract changed
        created += 1
    return created


# --- the procedure ----------------------------------------------------------------------------


def _refuse_unless(review: Review, states, message) -> None:
    if review.state not in states:
        raise TransitionRefused(message)


def _review_before(review: Review, name: str, now: dt.datetime) -> None:
    if name == "prepare":
        review.snapshot = selectors.review_live_report(review)
        review.prepared_at = now
    elif name == "close":
        incomplete = [item for item in review.items.order_by("id") if item.owner_id is None or item.due_date is None]
        if incomplete:
            raise DomainError(
                _("Every action item needs an owner and a due date before the review is closed."), field="items",
                code="incomplete_items",
                messages=[_("“%(what)s” has no owner or due date.") % {"what": item.what[:80]} for item in incomplete])
        review.closed_at = now


REVIEW_MACHINE = Machine(
    events=ReviewEvent,
    transitions=REVIEW_TRANSITIONS,
    locked=lambda: (Review.objects.select_for_update(of=("self",))
                    .select_related("contract", "contract__tenant", "client")),
    refused=lambda review: _("A closed or cancelled review cannot be cancelled."),
    refusals={
        "prepare": lambda review: _("Only a scheduled review can be prepared."),
        "hold": lambda review: _("Prepare the report before recording the meeting."),
        "close": lambda review: _("Only a held review can be closed."),
    },
    before=_review_before,
)


def review_prepare(*, review: Review, actor, via: str = "") -> Review:
    """Freeze the report (figures and chart data) with the review: later changes don't rewrite it."""
    require_manager(actor)
    return fire(REVIEW_MACHINE, review, "prepare", actor=actor, via=via)


def review_refresh(*, review: Review, actor, via: str = "") -> Review:
    """Recompute the frozen report from today's data; allowed until the meeting is held."""
    require_manager(actor)
    with transaction.atomic():
        review = _lock(review)
        if review.state not in REFRESHABLE_STATES:
            raise TransitionRefused(_("The report can be refreshed only until the meeting is held."))
        if review.state == ReviewState.SCHEDULED:
            raise TransitionRefused(_("The report is live until it is prepared; prepare it to freeze it."),
                                    code="not_prepared")
        review.snapshot = selectors.review_live_report(review)
        review.prepared_at = timezone.now()
        review.save(update_fields=["snapshot", "prepared_at"])
        _record(review, kind=ReviewEvent.Kind.REFRESHED, actor=actor, via=via)
    return review


@dataclass
class HoldInput:
    held_on: object
    provider_attendees: str
    client_attendees: str
    minutes: str


def review_hold(*, review: Review, actor, data: HoldInput, via: str = "") -> Review:
    """Record the meeting: its date, who attended on both sides, the minutes."""
    require_manager(actor)

    def minutes(review: Review, _now) -> None:
        held_on = _as_date(data.held_on, field="held_on")
        if held_on is None:
            raise DomainError(_("Give the date of the meeting."), field="held_on", code="required")
        if held_on <= review.period_end:
            raise DomainError(_("The meeting can only be after the period ends (%(end)s).")
                              % {"end": review.period_end.isoformat()}, field="held_on", code="invalid")
        if held_on > review.contract.tenant.today():
            raise DomainError(_("The meeting date cannot be in the future."), field="held_on", code="invalid")
        review.held_on = held_on
        review.provider_attendees = _text(data.provider_attendees, field="provider_attendees",
                                          label=_("Name who attended for the provider."))
        review.client_attendees = _text(data.client_attendees, field="client_attendees",
                                        label=_("Name who attended for the client."))
        review.minutes = _text(data.minutes, field="minutes", label=_("Write the minutes."))

    return fire(REVIEW_MACHINE, review, "hold", actor=actor, via=via, before=minutes,
                after=lambda review, _now: {"held_on": review.held_on.isoformat()})


def review_close(*, review: Review, actor, via: str = "") -> Review:
    """Close a held review: every action item of its plan has an owner and a due date."""
    require_manager(actor)
    return fire(REVIEW_MACHINE, review, "close", actor=actor, via=via)


def review_cancel(*, review: Review, actor, reason: str, via: str = "") -> Review:
    require_manager(actor)
    reason = _text(reason, field="reason", label=_("Give the reason for cancelling."))

    def give_reason(review: Review, _now) -> None:
        review.cancel_reason = reason

    return fire(REVIEW_MACHINE, review, "cancel", actor=actor, note=reason, via=via, before=give_reason)


def review_reschedule(*, review: Review, actor, proposed_meeting_date, via: str = "") -> Review:
    """Move the proposed meeting date of a review not yet held."""
    require_manager(actor)
    with transaction.atomic():
        review = _lock(review)
        _refuse_unless(review, REFRESHABLE_STATES, _("The meeting of this review is already held or off."))
        meeting = _as_date(proposed_meeting_date, field="proposed_meeting_date")
        if meeting is None:
            raise DomainError(_("Give the date."), field="proposed_meeting_date", code="required")
        if meeting <= review.period_end:
            raise DomainError(_("The meeting can only be after the period ends (%(end)s).")
                              % {"end": review.period_end.isoformat()}, field="proposed_meeting_date", code="invalid")
        if meeting > review.contract.tenant.today() + dt.timedelta(days=366):
            raise DomainError(_("Propose a meeting within a year."), field="proposed_meeting_date", code="invalid")
        previous = review.proposed_meeting_date
        review.proposed_meeting_date = meeting
        review.save(update_fields=["proposed_meeting_date"])
        _record(review, kind=ReviewEvent.Kind.RESCHEDULED, actor=actor, via=via,
                data={"from": previous.isoformat(), "to": meeting.isoformat()})
    return review


TRANSITION_SERVICES = {"prepare": review_prepare, "refresh": review_refresh, "close": review_close}


# --- action items -----------------------------------------------------------------------------

PLAN_EDITABLE = (ReviewState.SCHEDULED, ReviewState.PREPARED, ReviewState.HELD)


def _check_owner(review: Review, owner):
    """The owner is an active member of the review's tenant: provider staff or a user of its client."""
    if owner is None:
        return None
    membership = (Membership.objects.filter(user_id=owner.pk, is_active=True).first()
                  if getattr(owner, "pk", None) else None)
    if membership is None:
        raise DomainError(_("The owner must be someone of the provider or of this client."), field="owner",
                          code="invalid")
    if membership.role in CLIENT_ROLES and membership.client_id != review.client_id:
        raise DomainError(_("The owner must be someone of the provider or of this client."), field="owner",
                          code="invalid")
    if membership.role not in CLIENT_ROLES and membership.role not in PROVIDER_ROLES:
        raise DomainError(_("The owner must be someone of the provider or of this client."), field="owner",
                          code="invalid")
    return owner


def _check_due(review: Review, due_date):
    due = _as_date(due_date, field="due_date")
    if due is not None and due <= review.period_end:
        raise DomainError(_("The due date must be after the review period (%(end)s).")
                          % {"end": review.period_end.isoformat()}, field="due_date", code="invalid")
    if due is not None and due.year > 9000:
        raise DomainError(_("Enter a realistic date."), field="due_date", code="invalid")
    return due


def _check_file(upload):
    if upload is None:
        return None
    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(EVIDENCE_EXTENSIONS):
        raise DomainError(_("This kind of file is not accepted."), field="evidence_file", code="invalid")
    if upload.size > EVIDENCE_MAX_BYTES:
        raise DomainError(_("The file is larger than 10 MB."), field="evidence_file", code="too_large")
    return upload


def action_item_create(*, review: Review, actor, what: str, owner=None, due_date=None, evidence_note: str = "",
                       via: str = "") -> ActionItem:
    require_manager(actor)
    with transaction.atomic():
        review = _lock(review)
        _refuse_unless(review, PLAN_EDITABLE, _("The plan of a closed or cancelled review cannot change."))
        item = ActionItem.objects.create(
            review=review, what=_text(what, field="what", label=_("Say what is to be done.")),
            owner=_check_owner(review, owner), due_date=_check_due(review, due_date),
            evidence_note=_text(evidence_note, field="evidence_note", required=False))
        _record(review, kind=ReviewEvent.Kind.ITEM_CREATED, actor=actor, via=via, item=item, to_state=item.state,
                data={"item": item.pk, "what": item.what[:200]})
    if item.owner_id:
        _notify_owner(item, review)
    return item


_UNSET = object()


def _lock_item(item: ActionItem) -> ActionItem:
    return ActionItem.objects.select_for_update(of=("self",)).select_related("review").get(pk=item.pk)


def _refuse_if_cancelled(review: Review) -> None:
    if review.state == ReviewState.CANCELLED:
        raise TransitionRefused(_("The plan of a cancelled review cannot change."))


def action_item_update(*, item: ActionItem, actor, what=_UNSET, owner=_UNSET, due_date=_UNSET,
                       evidence_note=_UNSET, evidence_file=None, via: str = "") -> ActionItem:
    """Change an item: the provider's managers change anything while the plan is open; the owner (of
    either side) may add evidence. In a closed review the owner and due date stay set."""
    with transaction.atomic():
        item = _lock_item(item)
        review = item.review
        is_manager = _is_manager(actor)
        if not is_manager and item.owner_id != getattr(actor, "pk", None):
            raise ActionForbidden(_("Only the item's owner or an account manager may change it."))
        _refuse_if_cancelled(review)
        plan = {"what": what, "owner": owner, "due_date": due_date}
        if any(v is not _UNSET for v in plan.values()):
            _check_plan_change(review, is_manager=is_manager, owner=owner, due_date=due_date)
        previous_owner = item.owner_id
        changed = _change_plan(item, review, **plan)
        changed.update(_change_evidence(item, evidence_note=evidence_note, evidence_file=evidence_file))
        if not changed:
            return item
        item.save()
        _record(review, kind=ReviewEvent.Kind.ITEM_CHANGED, actor=actor, via=via, item=item, data={"item": item.pk, **changed})
    if item.owner_id and item.owner_id != previous_owner:
        _notify_owner(item, review)
    return item


def _check_plan_change(review: Review, *, is_manager: bool, owner, due_date) -> None:
    if not is_manager:
        raise ActionForbidden(_("Only an account manager may change the plan."))
    if review.state == ReviewState.CLOSED and (owner is None or due_date in (None, "")):
        raise DomainError(_("In a closed review every item keeps an owner and a due date."),
                          field="owner" if owner is None else "due_date", code="required")


def _change_plan(item: ActionItem, review: Review, *, what, owner, due_date) -> dict:
    changed: dict = {}
    if what is not _UNSET:
        item.what = _text(what, field="what", label=_("Say what is to be done."))
        changed["what"] = item.what[:200]
    if owner is not _UNSET:
        item.owner = _check_owner(review, owner)
        changed["owner"] = item.owner_id
    if due_date is not _UNSET:
        item.due_date = _check_due(review, due_date)
        changed["due_date"] = item.due_date.isoformat() if item.due_date else None
    return changed


def _change_evidence(item: ActionItem, *, evidence_note, evidence_file) -> dict:
    changed: dict = {}
    if evidence_note is not _UNSET:
        item.evidence_note = _text(evidence_note, field="evidence_note", required=False)
        changed["evidence_note"] = True
    if evidence_file is not None:
        _check_file(evidence_file)
        item.evidence_file_name = (evidence_file.name or "")[-255:]
        item.evidence_file.save(evidence_file.name, evidence_file, save=False)
        changed["evidence_file"] = item.evidence_file_name
    return changed


def _is_manager(actor) -> bool:
    membership = membership_of(actor, require_tenant_id())
    return membership is not None and membership.role in CONTRACT_MANAGERS


def _item_guard(item: ActionItem, name: str, actor) -> None:
    """A manager, or the owner marking it done; never in a cancelled review."""
    if not _is_manager(actor) and not (name == "complete" and item.owner_id == getattr(actor, "pk", None)):
        raise ActionForbidden(_("Only the item's owner or an account manager may do this."))
    _refuse_if_cancelled(item.review)


def _item_before(item: ActionItem, name: str, now: dt.datetime) -> None:
    item.finished_at = None if name == "reopen" else now


def _item_event(review: Review, *, obj: ActionItem, name: str, source: str, target: str, actor, via: str,
                note: str, data: dict) -> ReviewEvent:
    """An action item's change goes on its review's timeline, naming the item."""
    return _record(review, kind=ReviewEvent.Kind.ITEM_TRANSITION, actor=actor, via=via, item=obj, transition=name,
                   from_state=source, to_state=target, note=note, data=data)


ITEM_MACHINE = Machine(
    events=ReviewEvent,
    transitions=ITEM_TRANSITIONS,
    locked=lambda: ActionItem.objects.select_for_update(of=("self",)).select_related("review"),
    refused=lambda item: _("This item is %(state)s.") % {"state": item.get_state_display().lower()},
    guard=_item_guard,
    note_missing={"drop": gettext_lazy("Give the reason for dropping it.")},
    before=_item_before,
    after=lambda item, name, actor, now: {"item": item.pk},
    subject=lambda item: item.review,
    event=_item_event,
)


def action_item_transition(*, item: ActionItem, actor, name: str, note: str = "", via: str = "") -> ActionItem:
    """Done (with evidence), dropped (with a reason) or reopened: a manager, or the owner for done."""
    if name not in ITEM_TRANSITIONS:
        raise DomainError(_("Unknown action."), field="transition", code="invalid")

    def note_fits(_item) -> None:
        _text(note, field="note", required=False)

    def evidence(item: ActionItem, _now) -> None:
        if name != "complete":
            return
        if (note or "").strip():
            item.evidence_note = (note or "").strip()
        if not item.evidence_note and not item.evidence_file:
            raise DomainError(_("Say how it was done (the evidence)."), field="note", code="required")

    return fire(ITEM_MACHINE, item, name, actor=actor, note=note, via=via, check=note_fits, before=evidence)


def _notify_owner(item: ActionItem, review: Review) -> None:
    membership = membership_of(item.owner, review.tenant_id)
    url = portal_review_url(review) if membership and membership.is_client_side else review_url(review)
    notify([item.owner], kind="review_action_item", key=f"review-item:{item.pk}:owner:{item.owner_id}",
           title=_("Action item for you: %(what)s") % {"what": item.what[:120]},
           body=_("Due %(due)s.") % {"due": item.due_date.isoformat() if item.due_date else "—"}, url=url)


# --- the client's confirmation ------------------------------------------------------------------


@dataclass
class ConfirmInput:
    password: str
    consent: bool
    ip_address: str | None = None
    user_agent: str = ""


def review_document(review: Review) -> dict:
    """What the client confirms: the meeting, its minutes and the plan, as stored now."""
    return {
        "review": review.pk, "contract": review.contract.number, "kind": review.kind,
        "period_start": review.period_start.isoformat(), "period_end": review.period_end.isoformat(),
        "held_on": review.held_on.isoformat() if review.held_on else None,
        "provider_attendees": review.provider_attendees, "client_attendees": review.client_attendees,
        "minutes": review.minutes,
        "items": [{"what": i.what, "owner": i.owner_id, "due_date": i.due_date.isoformat() if i.due_date else None}
                  for i in review.items.order_by("id")],
    }


def review_document_sha256(review: Review) -> str:
    canonical = json.dumps(review_document(review), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def may_confirm(user, review: Review) -> bool:
    from confirmations.services import is_signatory

    return is_signatory(user, review)  # the act's rule: the contract's client signatory or a client admin


def review_confirm(*, review: Review, actor, data: ConfirmInput, via: str = "") -> ReviewConfirmation:
    """The client signatory confirms the minutes and the plan: password re-entered, consent, evidence."""
    if not may_confirm(actor, review):
        raise ActionForbidden(_("Only the contract's client signatory may confirm the minutes."))
    if review.state not in (ReviewState.HELD, ReviewState.CLOSED):
        raise TransitionRefused(_("The minutes can be confirmed once the meeting is recorded."))
    if not data.consent:
        raise DomainError(_("Tick the box to agree that this confirmation is your signature."), field="consent",
                          code="required")
    # the same lockout as signing an act: five wrong passwords in 15 minutes lock the user for 15
    signing_locked_check(subject=review, actor=actor, field="password")
    if not data.password:
        raise DomainError(_("Enter your password."), field="password", code="required")
    if not actor.check_password(data.password):
        signing_failure_record(subject=review, actor=actor, field="password")
        raise DomainError(_("The password is wrong."), field="password", code="wrong_password")
    with transaction.atomic():
        review = _lock(review)
        if ReviewConfirmation.objects.filter(review=review).exists():
            raise TransitionRefused(_("The minutes of this review are already confirmed."), code="already_confirmed")
        if review.state not in (ReviewState.HELD, ReviewState.CLOSED):
            raise TransitionRefused(_("The minutes can be confirmed once the meeting is recorded."))
        digest = review_document_sha256(review)
        consent = CONSENT_TEXT % {
            "client": review.client.legal_name or review.client.name, "kind": review.get_kind_display().lower(),
            "contract": review.contract.number, "start": review.period_start.isoformat(),
            "end": review.period_end.isoformat(), "held_on": review.held_on.isoformat() if review.held_on else "—",
            "items": review.items.count(), "sha256": digest}
        try:
            with transaction.atomic():
                confirmation = ReviewConfirmation.objects.create(
                    review=review, signer=actor, signer_name=actor.get_full_name() or actor.get_username(),
                    signed_at=timezone.now(), ip_address=data.ip_address or None,
                    user_agent=(data.user_agent or "")[:1000], document_sha256=digest, consent_text=consent)
        except IntegrityError:
            raise TransitionRefused(_("The minutes of this review are already confirmed."),
                                    code="already_confirmed") from None
        _record(review, kind=ReviewEvent.Kind.CONFIRMED, actor=actor, via=via, data={"sha256": digest})
        notify(_account_managers(review.contract_id), kind="review_confirmed", key=f"review:{review.pk}:confirmed",
               title=_("The client confirmed the minutes of review %(review)s") % {"review": str(review)},
               body=_("%(name)s confirmed the minutes and the plan.") % {"name": confirmation.signer_name},
               url=review_url(review))
    return confirmation


# --- reminders ----------------------------------------------------------------------------------


def reviews_remind(*, today: dt.date | None = None) -> int:
    """Remind, once per item (or review) and day whatever the beat does: owners of overdue action
    items; account managers of items overdue for ESCALATE_AFTER_DAYS or more, and of reviews whose
    proposed meeting date passed while still scheduled. Current tenant."""
    tenant = Tenant.objects.get(pk=require_tenant_id())
    today = today or tenant.today()
    sent = 0
    managers_of: dict[int, list] = {}

    def managers(contract_id):
        if contract_id not in managers_of:
            managers_of[contract_id] = _account_managers(contract_id)
        return managers_of[contract_id]

    for item in selectors.overdue_items(today=today):
        review = item.review
        days = (today - item.due_date).days
        membership = membership_of(item.owner, tenant.pk)
        url = portal_review_url(review) if membership and membership.is_client_side else review_url(review)
        sent += notify([item.owner], kind="review_item_overdue", key=f"review-item:{item.pk}:overdue:{today}",
                       title=_("Action item overdue: %(what)s") % {"what": item.what[:120]},
                       body=ngettext("It was due %(due)s (%(days)s day ago).", "It was due %(due)s (%(days)s days ago).",
                                     days) % {"due": formats.date_format(item.due_date, "SHORT_DATE_FORMAT"),
                                              "days": days}, url=url)
        if days >= ESCALATE_AFTER_DAYS:
            sent += notify(managers(review.contract_id), kind="review_item_escalated",
                           key=f"review-item:{item.pk}:escalated:{today}",
                           title=ngettext("Action item overdue %(days)s day: %(what)s",
                                          "Action item overdue %(days)s days: %(what)s", days)
                           % {"days": days, "what": item.what[:100]},
                           body=_("Owner: %(owner)s; contract %(number)s.") % {
                               "owner": item.owner.get_full_name() or item.owner.get_username(),
                               "number": review.contract.number}, url=review_url(review))
    for review in selectors.meetings_passed(today=today):
        sent += notify(managers(review.contract_id), kind="review_meeting_passed",
                       key=f"review:{review.pk}:meeting-passed:{today}",
                       title=_("Review of contract %(number)s is still not prepared") % {
                           "number": review.contract.number},
                       body=_("Its meeting was proposed for %(date)s.") % {
                           "date": review.proposed_meeting_date.isoformat()}, url=review_url(review))
    return sent
