"""Every write of the disputes app: open, escalate (by a party or at the deadline), resolve with a
compensation, withdraw, move the deadline, add documents and messages, and settle compensations
as credit notes on the next invoice.

Locks: a service locks the dispute row alone (`FOR UPDATE OF` the dispute); settling then lets
billing lock the invoice and take the credit note's number (billing's own order). Nothing here
locks a contract, an act or the tenant row. Notifications go out after commit (`notify_users`).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import ContractRole, ContractRoleKind, ContractState
from tenancy.context import require_tenant_id
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Membership, Tenant
from tenancy.money import format_money
from tenancy.numbering import next_number
from tenancy.roles import CONTRACT_MANAGERS, Role, membership_of
from tenancy.services import notify_users
from tenancy.transitions import Machine, fire

from .models import (
    NEXT_STAGE,
    OPEN_STATES,
    STAGE_DAYS,
    ZERO,
    Dispute,
    DisputeComment,
    DisputeCreditNote,
    DisputeDocument,
    DisputeEvent,
    DisputeKind,
    DisputeState,
    Side,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # what the column holds
MAX_DOCUMENTS = 20
MAX_DEADLINE_DAYS = 730  # a deadline at most two years ahead
TITLE_MAX = 200
TEXT_MAX = 20_000
# who may act for each side (viewers and engineers only read)
PROVIDER_PARTIES = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER, Role.ACCOUNTANT})
CLIENT_PARTIES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_SIGNATORY})
RESOLVERS = CONTRACT_MANAGERS  # record the agreed resolution, move the deadline
DISPUTABLE_CONTRACT_STATES = (ContractState.ACTIVE, ContractState.SUSPENDED, ContractState.TERMINATED,
                              ContractState.EXPIRED)


# --- who -------------------------------------------------------------------------------------


def side_of(user, contract) -> str | None:
    """The side `user` acts for on `contract`, or None when they may only read (or not even that)."""
    membership = membership_of(user, contract.tenant_id)
    if membership is None or not membership.is_active:
        return None
    if membership.is_client_side:
        if membership.client_id == contract.client_id and membership.role in CLIENT_PARTIES:
            return Side.CLIENT
        return None
    return Side.PROVIDER if membership.role in PROVIDER_PARTIES else None


def may_open(user, tenant_id: int) -> bool:
    """Whether `user` may open disputes at all (on their own client's contracts, for a client user)."""
    membership = membership_of(user, tenant_id)
    if membership is None or not membership.is_active:
        return False
    return membership.role in (CLIENT_PARTIES if membership.is_client_side else PROVIDER_PARTIES)


def is_resolver(user, tenant_id: int) -> bool:
    membership = membership_of(user, tenant_id)
    return membership is not None and not membership.is_client_side and membership.role in RESOLVERS


def _require_side(actor, contract, message) -> str:
    side = side_of(actor, contract)
    if side is None:
        raise ActionForbidden(message)
    return side


def _require_resolver(actor, dispute: Dispute) -> None:
    if not is_resolver(actor, dispute.tenant_id):
        raise ActionForbidden(_("Only an administrator or an account manager may do this."))


def stage_owners(dispute: Dispute, state: str | None = None) -> list:
    """Who owns a stage: negotiation — the contract's account managers; mediation — its
    coordinators, else the tenant's administrators; arbitration — the administrators."""
    state = state or dispute.state
    users = get_user_model().objects.filter(is_active=True)
    if state == DisputeState.NEGOTIATION:
        role_users = ContractRole.objects.filter(contract_id=dispute.contract_id, role=ContractRoleKind.ACCOUNT_MANAGER)
        owners = list(users.filter(pk__in=role_users.values("user_id")).order_by("pk"))
        if owners:
            return owners
    if state == DisputeState.MEDIATION:
        role_users = ContractRole.objects.filter(contract_id=dispute.contract_id, role=ContractRoleKind.COORDINATOR)
        owners = list(users.filter(pk__in=role_users.values("user_id")).order_by("pk"))
        if owners:
            return owners
    admins = Membership.objects.filter(role=Role.ADMIN, is_active=True)
    return list(users.filter(pk__in=admins.values("user_id")).order_by("pk"))


def client_parties(dispute: Dispute) -> list:
    """The client's users who act on the dispute: its administrators and signatories."""
    members = Membership.objects.filter(client_id=dispute.client_id, role__in=sorted(CLIENT_PARTIES), is_active=True)
    return list(get_user_model().objects.filter(pk__in=members.values("user_id"), is_active=True).order_by("pk"))


def _url(dispute: Dispute, side: str) -> str:
    return f"/portal/disputes/{dispute.pk}/" if side == Side.CLIENT else f"/disputes/{dispute.pk}/"


def _notify(users, dispute: Dispute, *, side: str, kind: str, key: str, title, body) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        notify_users(users, kind=kind, key=key, title=str(title), body=str(body), url=_url(dispute, side))


def _notify_other_side(dispute: Dispute, *, acting_side: str, kind: str, key: str, title, body) -> None:
    if acting_side == Side.CLIENT:
        _notify(stage_owners(dispute), dispute, side=Side.PROVIDER, kind=kind, key=key, title=title, body=body)
    else:
        _notify(client_parties(dispute), dispute, side=Side.CLIENT, kind=kind, key=key, title=title, body=body)


# --- input -----------------------------------------------------------------------------------


def _money(value, *, field: str, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise DomainError(_("Enter an amount."), field=field, code="required")
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("Enter an amount, e.g. 1500.00."), field=field, code="invalid") from exc
    if not amount.is_finite():
        raise DomainError(_("Enter an amount, e.g. 1500.00."), field=field, code="invalid")
    if amount < 0:
        raise DomainError(_("The amount cannot be negative."), field=field, code="negative")
    if amount > MAX_AMOUNT:
        raise DomainError(_("The amount is too large."), field=field, code="too_large")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _tenant_today(tenant_id: int) -> dt.date:
    return Tenant.objects.get(pk=tenant_id).today()


def _check_deadline(value, *, today: dt.date) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(_("Enter a date."), field="stage_deadline", code="invalid")
    if value < today:
        raise DomainError(_("The stage deadline cannot be in the past."), field="stage_deadline", code="past")
    if value > today + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise DomainError(_("The stage deadline is at most two years ahead."), field="stage_deadline",
                          code="too_far")
    return value


def _stage_deadline(contract, state: str, start: dt.date) -> dt.date:
    return start + dt.timedelta(days=getattr(contract, STAGE_DAYS[DisputeState(state)]))


def _record(dispute: Dispute, *, kind: str, actor=None, via: str = "", **fields) -> DisputeEvent:
    return DisputeEvent.record(dispute, kind=kind, actor=actor, via=via, **fields)


def _locked(dispute: Dispute) -> Dispute:
    return (Dispute.objects.select_for_update(of=("self",)).select_related("contract")
            .get(pk=dispute.pk))


# --- open ------------------------------------------------------------------------------------


def _check_subject(*, contract, kind: str, act, invoice_line, side: str) -> None:
    if kind not in DisputeKind.values:
        raise DomainError(_("Choose what the dispute is about: an act, an invoice line or a complaint."),
                          field="kind", code="invalid")
    if kind == DisputeKind.ACT:
        _check_act(contract, act)
    elif act is not None:
        raise DomainError(_("Only a dispute about an act names an act."), field="act", code="not_allowed")
    if kind == DisputeKind.INVOICE_LINE:
        _check_invoice_line(contract, invoice_line)
    elif invoice_line is not None:
        raise DomainError(_("Only a dispute about an invoice line names one."), field="invoice_line",
                          code="not_allowed")


def _check_act(contract, act) -> None:
    from confirmations.models import ActState

    if act is None:
        raise DomainError(_("Choose the disputed act."), field="act", code="required")
    if act.tenant_id != contract.tenant_id:
        raise DomainError(_("Unknown act."), field="act", code="does_not_exist")
    if act.contract_id != contract.pk:
        raise DomainError(_("The act belongs to another contract."), field="act", code="other_contract")
    if act.state == ActState.DRAFT:
        raise DomainError(_("A draft act cannot be disputed; it has not been sent."), field="act", code="draft")


def _check_invoice_line(contract, invoice_line) -> None:
    from billing.models import InvoiceState

    if invoice_line is None:
        raise DomainError(_("Choose the disputed invoice line."), field="invoice_line", code="required")
    invoice = invoice_line.invoice
    if invoice_line.tenant_id != contract.tenant_id:
        raise DomainError(_("Unknown invoice line."), field="invoice_line", code="does_not_exist")
    if invoice.contract_id != contract.pk:
        raise DomainError(_("The invoice line belongs to another contract."), field="invoice_line",
                          code="other_contract")
    if invoice.state not in (InvoiceState.ISSUED, InvoiceState.PAID):
        raise DomainError(_("Only a line of an issued or paid invoice can be disputed."),
                          field="invoice_line", code="not_issued")


def dispute_open(*, actor, contract, kind: str, title: str, description: str = "", act=None, invoice_line=None,
                 claimed_amount=None, stage_deadline: dt.date | None = None, via: str = "") -> Dispute:
    """Either party opens a dispute under the contract; it starts in negotiation with the deadline
    from the contract's negotiation days (or a later one the opener gives, never in the past)."""
    side = _require_side(actor, contract, _("You cannot open a dispute on this contract."))
    if contract.state not in DISPUTABLE_CONTRACT_STATES:
        raise DomainError(_("A contract that has not started cannot be disputed."), field="contract",
                          code="not_started")
    _check_subject(contract=contract, kind=kind, act=act, invoice_line=invoice_line, side=side)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the dispute a title."), field="title", code="required")
    if len(title) > TITLE_MAX:
        raise DomainError(_("The title is at most %(count)d characters.") % {"count": TITLE_MAX}, field="title",
                          code="max_length")
    description = (description or "").strip()
    if len(description) > TEXT_MAX:
        raise DomainError(_("The description is too long."), field="description", code="max_length")
    claimed = _money(claimed_amount, field="claimed_amount")
    if kind in (DisputeKind.ACT, DisputeKind.INVOICE_LINE):
        subject = {"act": act} if kind == DisputeKind.ACT else {"invoice_line": invoice_line}
        if Dispute.objects.filter(state__in=OPEN_STATES, **subject).exists():
            raise DomainError(_("There is already an open dispute about it."), field=next(iter(subject)),
                              code="already_disputed")
    today = _tenant_today(contract.tenant_id)
    default_deadline = _stage_deadline(contract, DisputeState.NEGOTIATION, today)
    deadline = default_deadline if stage_deadline is None else _check_deadline(stage_deadline, today=today)
    try:
        with transaction.atomic():
            dispute = Dispute(
                tenant_id=contract.tenant_id, contract=contract, client_id=contract.client_id, kind=kind, act=act,
                invoice_line=invoice_line, title=title, description=description, opened_by=actor,
                opened_side=side, claimed_amount=claimed, stage_started_on=today, stage_deadline=deadline,
            )
            dispute.number = next_number(series="DSP", tenant_id=contract.tenant_id)
            dispute.save()
            _record(dispute, kind=DisputeEvent.Kind.OPENED, actor=actor, via=via, to_state=dispute.state,
                    note=description,
                    data={"deadline": deadline.isoformat(), "revision": getattr(act, "revision", None)})
            _notify_other_side(dispute, acting_side=side, kind="dispute_opened", key=f"dispute:{dispute.pk}:opened",
                               title=_("Dispute %(number)s opened: %(title)s") % {"number": dispute.number,
                                                                                  "title": title},
                               body=description)
    except IntegrityError as exc:
        field = "act" if kind == DisputeKind.ACT else "invoice_line"
        if Dispute.objects.filter(state__in=OPEN_STATES, **{field: act if field == "act" else invoice_line}).exists():
            raise DomainError(_("There is already an open dispute about it."), field=field,
                              code="already_disputed") from exc
        raise
    return dispute


def dispute_open_for_act(*, act_id: int, via: str = "") -> Dispute | None:
    """The client disputed an act (its own transition): open the dispute about it, once. The act
    disputed again while its dispute is still open adds to that dispute's timeline instead."""
    from confirmations.models import Act, ActEvent, ActState

    act = Act.objects.select_related("contract").filter(pk=act_id).first()
    if act is None or act.state != ActState.DISPUTED:
        return None
    event = (ActEvent.objects.filter(act=act, transition="dispute").select_related("actor")
             .order_by("-at", "-id").first())
    actor = event.actor if event else None
    existing = Dispute.objects.filter(act=act, state__in=OPEN_STATES).first()
    if existing is not None:
        with transaction.atomic():
            if not DisputeEvent.objects.filter(dispute=existing, data__revision=act.revision).exists():
                _record(existing, kind=DisputeEvent.Kind.ACT_DISPUTED_AGAIN, actor=actor, via=via,
                        note=act.dispute_reason, data={"revision": act.revision})
        return existing
    if Dispute.objects.filter(act=act, created_at__gte=act.sent_at or act.created_at).exists():
        return None  # this revision's dispute was opened and already closed
    contract = act.contract
    today = _tenant_today(act.tenant_id)
    try:
        with transaction.atomic():
            dispute = Dispute(
                tenant_id=act.tenant_id, contract=contract, client_id=act.client_id, kind=DisputeKind.ACT, act=act,
                title=_("Act %(number)s disputed") % {"number": act.number}, description=act.dispute_reason,
                opened_by=actor, opened_side=Side.CLIENT, stage_started_on=today,
                stage_deadline=_stage_deadline(contract, DisputeState.NEGOTIATION, today),
            )
            dispute.number = next_number(series="DSP", tenant_id=act.tenant_id)
            dispute.save()
            _record(dispute, kind=DisputeEvent.Kind.OPENED, actor=actor, via=via or "act", to_state=dispute.state,
                    note=act.dispute_reason,
                    data={"deadline": dispute.stage_deadline.isoformat(), "revision": act.revision})
            _notify(stage_owners(dispute), dispute, side=Side.PROVIDER, kind="dispute_opened",
                    key=f"dispute:{dispute.pk}:opened",
                    title=_("Dispute %(number)s opened: %(title)s") % {"number": dispute.number,
                                                                       "title": dispute.title},
                    body=act.dispute_reason)
    except IntegrityError:
        return Dispute.objects.filter(act=act, state__in=OPEN_STATES).first()  # opened meanwhile by another worker
    return dispute


def disputes_open_for_disputed_acts() -> int:
    """Acts disputed with no dispute about them (the hook after commit did not run): open them."""
    from confirmations.models import Act, ActState

    opened = 0
    for act_id in Act.objects.filter(state=ActState.DISPUTED, disputes__isnull=True).values_list("pk", flat=True):
        if dispute_open_for_act(act_id=act_id) is not None:
            opened += 1
    return opened


# --- stages ----------------------------------------------------------------------------------


DISPUTE_MACHINE = Machine(
    events=DisputeEvent,
    transitions=("escalate", "resolve", "withdraw"),
    locked=lambda: Dispute.objects.select_for_update(of=("self",)).select_related("contract"),
    refused=lambda dispute: _("A dispute in %(stage)s cannot be escalated.") % {
        "stage": dispute.get_state_display().lower()},
    refusals={
        "resolve": lambda dispute: _("A %(state)s dispute cannot be resolved.") % {
            "state": dispute.get_state_display().lower()},
        "withdraw": lambda dispute: _("A %(state)s dispute cannot be withdrawn.") % {
            "state": dispute.get_state_display().lower()},
    },
    # the next stage is the one after the current: "escalate" fires to_mediation or to_arbitration
    methods={"escalate": {source: f"to_{target}" for source, target in NEXT_STAGE.items()}},
)


def _escalate(dispute: Dispute, *, actor, via: str, today: dt.date, note: str = "", check=None) -> Dispute:
    def next_stage(dispute: Dispute, _now) -> None:
        dispute.stage_started_on = today
        dispute.stage_deadline = _stage_deadline(dispute.contract, NEXT_STAGE[dispute.state], today)
        dispute.escalation_alerted_at = None

    with transaction.atomic():
        dispute = fire(DISPUTE_MACHINE, dispute, "escalate", actor=actor, note=note, via=via, check=check,
                       before=next_stage, after=lambda dispute, _now: {
                           "deadline": dispute.stage_deadline.isoformat(), "by": "user" if actor else "deadline"})
        _notify_escalated(dispute, actor=actor)
    return dispute


def _notify_escalated(dispute: Dispute, *, actor) -> None:
    target = dispute.state
    owners = stage_owners(dispute, target)
    title = _("Dispute %(number)s escalated to %(stage)s") % {
        "number": dispute.number, "stage": dict(DisputeState.choices)[target].lower()}
    body = _("%(title)s. You own this stage; its deadline is %(deadline)s.") % {
        "title": dispute.title, "deadline": dispute.stage_deadline.isoformat()}
    _notify(owners, dispute, side=Side.PROVIDER, kind="dispute_escalated", key=f"dispute:{dispute.pk}:stage:{target}",
            title=title, body=body)
    if actor is not None:
        _notify(client_parties(dispute), dispute, side=Side.CLIENT, kind="dispute_escalated",
                key=f"dispute:{dispute.pk}:stage:{target}", title=title, body=dispute.title)


def dispute_escalate(*, dispute: Dispute, actor, note: str = "", via: str = "") -> Dispute:
    """A party takes the dispute to the next stage before its deadline."""
    _require_side(actor, dispute.contract, _("You cannot escalate this dispute."))
    if len(note or "") > TEXT_MAX:
        raise DomainError(_("The note is too long."), field="note", code="max_length")
    return _escalate(dispute, actor=actor, via=via, today=_tenant_today(dispute.tenant_id), note=note)


class _NotDue(Exception):
    pass


def _escalate_due(dispute_id: int, today: dt.date) -> bool:
    def still_due(dispute: Dispute) -> None:
        if dispute.stage_deadline >= today:
            raise _NotDue

    try:
        _escalate(Dispute(pk=dispute_id), actor=None, via="", today=today, check=still_due)
    except (Dispute.DoesNotExist, TransitionRefused, _NotDue):
        return False  # escalated, resolved or moved meanwhile (another worker, a user)
    return True


def _alert_arbitration_overdue(dispute_id: int) -> bool:
    with transaction.atomic():
        now = timezone.now()
        claimed = Dispute.objects.filter(pk=dispute_id, state=DisputeState.ARBITRATION,
                                         escalation_alerted_at__isnull=True).update(escalation_alerted_at=now)
        if claimed != 1:
            return False  # told already (another worker, an earlier run)
        dispute = Dispute.objects.get(pk=dispute_id)
        _record(dispute, kind=DisputeEvent.Kind.ALERT, data={"deadline": dispute.stage_deadline.isoformat()})
        _notify(stage_owners(dispute, DisputeState.ARBITRATION), dispute, side=Side.PROVIDER,
                kind="dispute_overdue", key=f"dispute:{dispute.pk}:arbitration-overdue",
                title=_("Arbitration of dispute %(number)s is overdue") % {"number": dispute.number},
                body=_("%(title)s: the arbitration deadline %(deadline)s has passed.") % {
                    "title": dispute.title, "deadline": dispute.stage_deadline.isoformat()})
        return True


def disputes_escalate_overdue() -> int:
    """Beat (hourly, any number of times, concurrently): every open dispute of the current tenant
    whose stage deadline has passed (before the tenant's today) goes to the next stage once; an
    overdue arbitration tells the administrators once. Returns how many disputes it moved or told."""
    today = _tenant_today(require_tenant_id())
    overdue = Dispute.objects.filter(stage_deadline__lt=today)
    done = 0
    for dispute_id in overdue.filter(state__in=list(NEXT_STAGE)).order_by("pk").values_list("pk", flat=True):
        done += _escalate_due(dispute_id, today)
    for dispute_id in (overdue.filter(state=DisputeState.ARBITRATION, escalation_alerted_at__isnull=True)
                       .order_by("pk").values_list("pk", flat=True)):
        done += _alert_arbitration_overdue(dispute_id)
    return done


def dispute_set_deadline(*, dispute: Dispute, actor, stage_deadline, note: str = "", via: str = "") -> Dispute:
    """The provider moves the current stage's deadline (agreed with the client); never into the past."""
    _require_resolver(actor, dispute)
    deadline = _check_deadline(stage_deadline, today=_tenant_today(dispute.tenant_id))
    with transaction.atomic():
        dispute = _locked(dispute)
        if not dispute.is_open:
            raise TransitionRefused(_("A closed dispute has no deadline to move."))
        before = dispute.stage_deadline
        if before == deadline:
            return dispute
        dispute.stage_deadline = deadline
        dispute.escalation_alerted_at = None
        dispute.save(update_fields=["stage_deadline", "escalation_alerted_at"])
        DisputeEvent.change_of(dispute, changes={"stage_deadline": (before.isoformat(), deadline.isoformat())},
                               kind=DisputeEvent.Kind.DEADLINE, actor=actor, via=via, note=(note or "").strip())
        _notify(client_parties(dispute), dispute, side=Side.CLIENT, kind="dispute_deadline",
                key=f"dispute:{dispute.pk}:deadline:{deadline.isoformat()}",
                title=_("Dispute %(number)s: the deadline is now %(deadline)s")
                % {"number": dispute.number, "deadline": deadline.isoformat()}, body=dispute.title)
    return dispute


def dispute_resolve(*, dispute: Dispute, actor, compensation, note: str, via: str = "") -> Dispute:
    """The provider records the resolution the parties agreed: a note and the compensation (0 for
    none, never more than a claimed amount), which the next invoice issued gets as a credit note."""
    _require_resolver(actor, dispute)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say what the parties agreed."), field="note", code="required")
    if len(note) > TEXT_MAX:
        raise DomainError(_("The note is too long."), field="note", code="max_length")
    amount = _money(compensation if compensation not in (None, "") else ZERO, field="compensation")
    assert amount is not None  # an amount was given: zero at least

    def agreed(dispute: Dispute, now: dt.datetime) -> None:
        if dispute.claimed_amount is not None and amount > dispute.claimed_amount:
            raise DomainError(_("The compensation cannot exceed the claimed amount (%(claimed)s).")
                              % {"claimed": format_money(dispute.claimed_amount, dispute.contract.currency)},
                              field="compensation", code="exceeds_claim")
        dispute.compensation = amount
        dispute.resolution_note = note
        dispute.resolved_by = actor
        dispute.resolved_at = now

    with transaction.atomic():
        dispute = fire(DISPUTE_MACHINE, dispute, "resolve", actor=actor, note=note, via=via, before=agreed,
                       after=lambda dispute, _now: {"compensation": str(amount)})
        _notify(client_parties(dispute), dispute, side=Side.CLIENT, kind="dispute_resolved",
                key=f"dispute:{dispute.pk}:resolved",
                title=_("Dispute %(number)s resolved") % {"number": dispute.number},
                body=_("%(note)s\nCompensation: %(amount)s (credited on the next invoice).")
                % {"note": note, "amount": format_money(amount, dispute.contract.currency)} if amount else note)
    return dispute


def dispute_withdraw(*, dispute: Dispute, actor, note: str = "", via: str = "") -> Dispute:
    """The side that opened the dispute drops it."""
    side = _require_side(actor, dispute.contract, _("You cannot withdraw this dispute."))
    if side != dispute.opened_side:
        raise ActionForbidden(_("Only the side that opened the dispute may withdraw it."))
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise DomainError(_("The note is too long."), field="note", code="max_length")

    def withdrawn(dispute: Dispute, now: dt.datetime) -> None:
        dispute.withdrawn_at = now

    with transaction.atomic():
        dispute = fire(DISPUTE_MACHINE, dispute, "withdraw", actor=actor, note=note, via=via, before=withdrawn)
        _notify_other_side(dispute, acting_side=side, kind="dispute_withdrawn", key=f"dispute:{dispute.pk}:withdrawn",
                           title=_("Dispute %(number)s withdrawn") % {"number": dispute.number},
                           body=note or dispute.title)
    return dispute


# --- documents and messages ------------------------------------------------------------------


def dispute_add_document(*, dispute: Dispute, actor, upload, via: str = "", field: str = "file") -> DisputeDocument:
    """Either party adds a file: the orders' allow-list, size limit and content check; stored under
    a random name; removed again if its row is not saved."""
    from tenancy.uploads import check_upload, upload_sha256

    side = _require_side(actor, dispute.contract, _("You cannot add documents to this dispute."))
    checked = check_upload(upload, field=field)
    digest = upload_sha256(upload)
    with transaction.atomic():
        dispute = _locked(dispute)  # serialises the count per dispute
        if DisputeDocument.objects.filter(dispute=dispute).count() >= MAX_DOCUMENTS:
            raise DomainError(_("A dispute holds at most %(count)d documents.") % {"count": MAX_DOCUMENTS},
                              field=field, code="too_many_files")
        document = DisputeDocument(tenant_id=dispute.tenant_id, dispute=dispute, original_name=checked.name,
                                   content_type=checked.content_type, size=checked.size, sha256=digest,
                                   side=side, uploaded_by=actor)
        document.file.save(checked.name, upload, save=False)
        try:
            document.save()
            _record(dispute, kind=DisputeEvent.Kind.DOCUMENT, actor=actor, via=via,
                    data={"document": document.pk, "name": checked.name, "size": checked.size, "sha256": digest})
        except BaseException:
            document.file.delete(save=False)
            raise
    return document


def dispute_comment(*, dispute: Dispute, actor, body: str, via: str = "") -> DisputeComment:
    """A message to the other party; both sides see the whole thread."""
    side = _require_side(actor, dispute.contract, _("You cannot write in this dispute."))
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write something."), field="body", code="required")
    if len(body) > TEXT_MAX:
        raise DomainError(_("The message is too long."), field="body", code="max_length")
    with transaction.atomic():
        comment = DisputeComment.objects.create(tenant_id=dispute.tenant_id, dispute=dispute, author=actor,
                                                side=side, body=body)
        _notify_other_side(dispute, acting_side=side, kind="dispute_message",
                           key=f"dispute:{dispute.pk}:message:{comment.pk}",
                           title=_("New message in dispute %(number)s") % {"number": dispute.number}, body=body)
    return comment


# --- compensation → credit notes --------------------------------------------------------------


def credited_amount(dispute: Dispute) -> Decimal:
    return DisputeCreditNote.objects.filter(dispute=dispute).aggregate(total=Sum("amount"))["total"] or ZERO


def dispute_settle(*, dispute_id: int) -> list:
    """Credit what is left of a resolved dispute's compensation on the contract's invoices issued
    after the resolution (the "next invoice", then the ones after it while it is not enough), each
    credit note for min(what is left, what is left of the invoice), linked both ways. Idempotent:
    under the dispute's lock the credited sum is read again, so twice or concurrently credits once."""
    from billing import services as billing
    from billing.models import CreditNote, Invoice, InvoiceState

    notes: list[CreditNote] = []
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update(of=("self",)).filter(
            pk=dispute_id, state=DisputeState.RESOLVED, compensation__gt=0).first()
        if dispute is None or dispute.resolved_at is None:
            return notes
        left = dispute.compensation - credited_amount(dispute)
        if left <= 0:
            return notes
        invoices = (Invoice.objects.filter(contract_id=dispute.contract_id, issued_at__gt=dispute.resolved_at,
                                           state__in=[InvoiceState.ISSUED, InvoiceState.PAID])
                    .order_by("issued_at", "id"))
        for invoice in invoices:
            remaining, _vat = billing.invoice_remaining(invoice)
            amount = min(left, remaining)
            if amount <= 0:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("Compensation agreed in dispute %(number)s: %(title)s") % {
                    "number": dispute.number, "title": dispute.title}
            try:
                note = billing.credit_note_create(invoice=invoice, amount=amount, reason=reason, actor=None,
                                                  via="dispute")
            except DomainError:
                continue  # credited meanwhile by hand: less left than read; the next run tries again
            DisputeCreditNote.objects.create(tenant_id=dispute.tenant_id, dispute=dispute, credit_note=note,
                                             amount=amount)
            _record(dispute, kind=DisputeEvent.Kind.CREDIT_NOTE,
                    data={"credit_note": note.number, "invoice": invoice.number, "amount": str(amount)})
            notes.append(note)
            left -= amount
            if left <= 0:
                break
    return notes


def _unsettled():
    credited = Coalesce(Sum("credit_links__amount"), Value(ZERO), output_field=DecimalField(max_digits=14,
                                                                                              decimal_places=2))
    return (Dispute.objects.filter(state=DisputeState.RESOLVED, compensation__gt=0).annotate(credited=credited)
            .filter(credited__lt=F("compensation")))


def disputes_settle(*, contract_id: int | None = None) -> int:
    """Settle every resolved dispute (of one contract, or all) not yet fully credited. Returns how
    many credit notes were made."""
    disputes = _unsettled()
    if contract_id is not None:
        disputes = disputes.filter(contract_id=contract_id)
    return sum(len(dispute_settle(dispute_id=pk)) for pk in disputes.order_by("pk").values_list("pk", flat=True))


def disputes_beat() -> int:
    """The hourly work of the current tenant: escalate overdue stages, open disputes for disputed
    acts the hook missed, settle compensations."""
    return disputes_escalate_overdue() + disputes_open_for_disputed_acts() + disputes_settle()
