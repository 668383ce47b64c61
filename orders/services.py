"""Every write to orders: raise, move through the state machine, comment, attach files. Clocks follow the state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import ContractState
from sla import services as sla
from sla.models import Metric, Priority
from tenancy.errors import ActionForbidden, DomainError
from tenancy.numbering import next_number
from tenancy.roles import (
    CLIENT_ROLES,
    CONTRACT_MANAGERS,
    PROVIDER_ROLES,
    membership_of,
    require_role,
)
from tenancy.transitions import Machine, fire
from tenancy.uploads import check_upload, upload_sha256

from . import search
from .models import (
    CLIENT,
    PROVIDER,
    Order,
    OrderAttachment,
    OrderComment,
    OrderEvent,
    OrderState,
    Team,
)

TRANSITIONS = ("acknowledge", "plan", "agree", "approve", "start", "start_incident", "wait_on_client",
               "resume", "deliver", "accept", "send_back", "cancel")
ORDER_FIELDS = ("title", "description", "expected_result", "priority", "desired_deadline")


def _side(actor, order_or_contract) -> str | None:
    """'provider' for provider staff, 'client' for users of the order's client, else None."""
    membership = membership_of(actor, order_or_contract.tenant_id)
    if membership is None:
        return None
    if membership.role in PROVIDER_ROLES:
        return PROVIDER
    client_id = getattr(order_or_contract, "client_id", None)
    if membership.role in CLIENT_ROLES and membership.client_id == client_id:
        return CLIENT
    return None


def order_side(*, actor, order: Order) -> str | None:
    """Which side of the order `actor` is on: 'provider', 'client' (its client's users) or None."""
    return _side(actor, order)


def _record(order: Order, *, kind: str, actor, via: str = "", client_visible: bool = True, **fields: Any) -> OrderEvent:
    return OrderEvent.record(order, kind=kind, actor=actor, via=via, client_visible=client_visible, **fields)


# How far ahead of ours a caller's clock may run: a reported time up to this far in the future is
# taken as now. Further back than 30 days is refused, so the SLA clocks always start near the present.
REPORTED_AT_CLOCK_SKEW = dt.timedelta(minutes=1)


def _next_number(tenant_id: int) -> str:
    """ORD-YYYY-NNNNN, gapless per tenant and year in the tenant's time zone: the numbering service's
    counter row (`tenancy.numbering`), never a count of orders nor a lock on the tenant's row."""
    return next_number(series="ORD", tenant_id=tenant_id)


@transaction.atomic
def order_create(*, actor, contract, title: str, kind: str = Order.Kind.REQUEST, description: str = "",
                 expected_result: str = "", priority: str = Priority.NORMAL, desired_deadline=None,
                 reported_at: dt.datetime | None = None, team: Team | None = None, via: str = "") -> Order:
    """A client raises an order, or provider staff registers one on the client's behalf with the
    time it was really reported (a phone call yesterday counts from yesterday)."""
    side = _side(actor, contract)
    if side is None:
        raise ActionForbidden(_("Only the contract's client or the provider's staff may raise an order."))
    if contract.state != ContractState.ACTIVE:
        raise DomainError(_("Orders are raised only on an active contract."), field="contract", code="invalid")
    now = timezone.now()
    if reported_at is None or side == CLIENT:
        reported_at = now
    if reported_at > now + REPORTED_AT_CLOCK_SKEW:
        raise DomainError(_("The reported time cannot be in the future."), field="reported_at", code="invalid")
    reported_at = min(reported_at, now)  # a caller's clock a few seconds ahead: the clocks start now
    if reported_at < now - dt.timedelta(days=30):
        raise DomainError(_("The reported time is more than 30 days ago."), field="reported_at", code="invalid")
    if not (title or "").strip():
        raise DomainError(_("Give the order a title."), field="title", code="required")
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority", code="invalid")
    if kind not in Order.Kind.values:
        raise DomainError(_("Unknown kind."), field="kind", code="invalid")
    if desired_deadline is not None and desired_deadline <= reported_at:
        raise DomainError(_("The desired deadline must be after the order is reported."), field="desired_deadline",
                          code="invalid")
    if team is not None and side != PROVIDER:
        raise ActionForbidden(_("Only the provider's staff route orders to a team."), field="team")
    order = Order.objects.create(
        number=_next_number(contract.tenant_id), contract=contract, client_id=contract.client_id, kind=kind,
        title=title.strip(), description=description, expected_result=expected_result, priority=priority,
        desired_deadline=desired_deadline, reported_at=reported_at, reported_by=actor, team=team,
    )
    search.terms_write(order, new=True)
    sla.clocks_start(order=order)
    _record(order, kind=OrderEvent.Kind.CREATED, actor=actor, via=via, to_state=order.state,
            data={"reported_at": reported_at.isoformat()})
    return order


# What each transition does to the clocks.
_STOP_RESPONSE = {"acknowledge"}
_PAUSE = {"wait_on_client"}
_RESUME = {"resume"}
_STOP_RESOLUTION = {"deliver"}
_REOPEN_RESOLUTION = {"send_back"}  # rework is the provider's time again


def _order_permits(order: Order, meta, actor) -> None:
    allowed_side = meta.custom.get("side")
    side = _side(actor, order) if actor is not None else PROVIDER
    if side is None or (allowed_side != "any" and side != allowed_side):
        raise ActionForbidden(_("This step belongs to the other side."))


def _order_clocks(order: Order, name: str, actor, now: dt.datetime) -> None:
    """What the transition does to the order's SLA clocks."""
    if name in _STOP_RESPONSE:
        sla.clock_stop_metric(order=order, metric=Metric.RESPONSE, at=now)
    if name in _PAUSE:
        sla.clocks_pause(order=order, at=now)
    if name in _RESUME:
        sla.clocks_resume(order=order, at=now)
    if name in _STOP_RESOLUTION:
        sla.clock_stop_metric(order=order, metric=Metric.RESOLUTION, at=now)
    if name in _REOPEN_RESOLUTION:
        for clock in order.clocks.filter(metric=Metric.RESOLUTION):
            sla.clock_reopen(clock=clock, at=now)
    if name == "cancel":
        for metric in (Metric.RESPONSE, Metric.RESOLUTION):
            sla.clock_stop_metric(order=order, metric=metric, at=now, breach_if_late=False)


ORDER_MACHINE = Machine(
    events=OrderEvent,
    transitions=TRANSITIONS,
    locked=lambda: Order.objects.select_for_update(),
    refused=lambda order: _("An order in state “%(state)s” cannot do that.") % {"state": order.get_state_display()},
    permits=_order_permits,
    after=_order_clocks,
    event_fields={"client_visible": True},
)


def order_transition(*, order: Order, name: str, actor, note: str = "", via: str = "") -> Order:
    """Fire one transition of the order state machine (`tenancy.transitions`); the clocks follow."""
    return fire(ORDER_MACHINE, order, name, actor=actor, note=note, via=via)


EDITABLE_STATES = (OrderState.NEW, OrderState.ACKNOWLEDGED, OrderState.PLANNED)


def order_is_editable(order: Order) -> bool:
    """Scope and deadline change only before the plan is agreed (`order_update`; the pages ask the same)."""
    return order.state in EDITABLE_STATES


@transaction.atomic
def order_update(*, order: Order, actor, via: str = "", **changes: Any) -> Order:
    """Change scope or deadline; the change is kept in the history the client sees."""
    if _side(actor, order) is None:
        raise ActionForbidden(_("You cannot change this order."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order_is_editable(order):
        raise DomainError(_("Scope and deadline change only before the plan is agreed."), code="not_editable")
    if "title" in changes and not (changes["title"] or "").strip():
        raise DomainError(_("Give the order a title."), field="title", code="required")
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority", code="invalid")
    deadline = changes.get("desired_deadline")
    if deadline is not None and deadline <= order.reported_at:
        raise DomainError(_("The desired deadline must be after the order is reported."), field="desired_deadline",
                          code="invalid")
    changed = {}
    for key, value in changes.items():
        if key in ORDER_FIELDS and getattr(order, key) != value:
            changed[key] = [str(getattr(order, key)), str(value)]
            setattr(order, key, value)
    if changed:
        order.save()
        if changed.keys() & set(search.FIELDS):
            search.terms_write(order)
        if "priority" in changed:
            sla.clocks_retarget(order=order)
        _record(order, kind=OrderEvent.Kind.CHANGED, actor=actor, via=via, data={"changed": changed})
    return order


@transaction.atomic
def order_assign(*, order: Order, actor, team: Team | None, assignee=None, via: str = "") -> Order:
    if _side(actor, order) != PROVIDER:
        raise ActionForbidden(_("Only the provider's staff assign orders."))
    assignee_membership = membership_of(assignee, order.tenant_id) if assignee is not None else None
    if assignee is not None and (assignee_membership is None or assignee_membership.role not in PROVIDER_ROLES):
        raise DomainError(_("The assignee must be a member of the provider's staff."), field="assignee", code="invalid")
    order = Order.objects.select_for_update().get(pk=order.pk)
    order.team, order.assignee = team, assignee
    order.save(update_fields=["team", "assignee"])
    _record(order, kind=OrderEvent.Kind.ASSIGNED, actor=actor, via=via, client_visible=False,
            data={"team": str(team) if team else "",
                  "assignee": (assignee.get_full_name() or assignee.get_username()) if assignee else ""})
    return order


@transaction.atomic
def order_comment(*, order: Order, actor, body: str, internal: bool = False) -> OrderComment:
    side = _side(actor, order)
    if side is None:
        raise ActionForbidden(_("You cannot comment on this order."))
    if not (body or "").strip():
        raise DomainError(_("Write something."), field="body", code="required")
    if side == CLIENT:
        internal = False
    return OrderComment.objects.create(order=order, author=actor, body=body.strip(), internal=internal)


# --- attachments ------------------------------------------------------------------------------

MAX_ATTACHMENTS_PER_ORDER = 10
def order_attach(*, order: Order, actor, upload, internal: bool = False, via: str = "",
                 field: str = "file") -> OrderAttachment:
    """Either side attaches a file to the order; provider staff may keep it internal.

    The file is checked (allow-listed type whose first bytes match, not empty, within
    ORDER_ATTACHMENT_MAX_BYTES, at most MAX_ATTACHMENTS_PER_ORDER per order) before anything is
    written. It is stored under a random name; if its row does not get saved, the file is removed.
    `field` is the input named in errors ("file" here; "attachments" when raising an order).
    """
    side = _side(actor, order)
    if side is None:
        raise ActionForbidden(_("You cannot attach files to this order."))
    if side == CLIENT:
        internal = False
    checked = check_upload(upload, field=field)
    digest = upload_sha256(upload)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)  # serialises the count per order
        if OrderAttachment.objects.filter(order=order).count() >= MAX_ATTACHMENTS_PER_ORDER:
            raise DomainError(_("An order holds at most %(count)d files.") % {"count": MAX_ATTACHMENTS_PER_ORDER},
                              field=field, code="too_many_files")
        attachment = OrderAttachment(
            tenant_id=order.tenant_id, order=order, original_name=checked.name, content_type=checked.content_type,
            size=checked.size, sha256=digest, uploaded_by=actor, internal=internal,
        )
        attachment.file.save(checked.name, upload, save=False)  # written under a random name
        try:
            attachment.save()
            _record(order, kind=OrderEvent.Kind.ATTACHED, actor=actor, via=via, client_visible=not internal,
                    data={"attachment": attachment.pk, "name": checked.name, "size": checked.size,
                          "internal": internal})
        except BaseException:
            attachment.file.delete(save=False)
            raise
    return attachment


def order_create_with_attachments(*, actor, attachments: Sequence = (), via: str = "", **fields: Any) -> Order:
    """`order_create`, then `order_attach` for each file, all in one transaction: one bad file and
    nothing is saved (neither the order nor any file on disk). Errors about files name
    "attachments"."""
    if len(attachments) > MAX_ATTACHMENTS_PER_ORDER:
        raise DomainError(_("An order holds at most %(count)d files.") % {"count": MAX_ATTACHMENTS_PER_ORDER},
                          field="attachments", code="too_many_files")
    for upload in attachments:  # every file is checked before the order or any file is written
        check_upload(upload, field="attachments")
    written: list[OrderAttachment] = []
    try:
        with transaction.atomic():
            order = order_create(actor=actor, via=via, **fields)
            for upload in attachments:
                written.append(order_attach(order=order, actor=actor, upload=upload, via=via, field="attachments"))
    except BaseException:
        for attachment in written:
            attachment.file.delete(save=False)
        raise
    return order


# --- bulk actions -------------------------------------------------------------------------------

BULK_LIMIT = 100


@dataclass
class BulkResult:
    """What a bulk action did: the orders it changed and, for each one it could not, why."""

    done: list[Order]
    failed: list[tuple[Order, list[str]]]


def _each(orders: Sequence[Order], action) -> BulkResult:
    """`action(order)` for every order, each in its own transaction (the single-order service's):
    an order is changed entirely or not at all, and one refusal does not undo the others."""
    result = BulkResult(done=[], failed=[])
    for order in orders:
        try:
            result.done.append(action(order))
        except DomainError as error:
            result.failed.append((order, [str(message) for message in error.messages]))
    return result


# who may change many orders at once: the people who run the desk (one order at a time stays open
# to every provider role, each under its own rules)
BULK_EDITORS = CONTRACT_MANAGERS


def _require_bulk_editor(actor) -> None:
    require_role(actor, BULK_EDITORS, _("Only an administrator or an account manager may change several orders at once."))


def orders_bulk_assign(*, orders: Sequence[Order], actor, assignee, via: str = "") -> BulkResult:
    """Assign each order to `assignee` (None: nobody), keeping its team; `order_assign`'s rules apply to each."""
    _require_bulk_editor(actor)
    return _each(orders, lambda order: order_assign(order=order, actor=actor, team=order.team, assignee=assignee,
                                                    via=via))


def orders_bulk_transition(*, orders: Sequence[Order], name: str, actor, note: str = "", via: str = "") -> BulkResult:
    """Fire transition `name` on each order through `order_transition` (its side, state, condition
    and note rules, its clocks and its event), one order per transaction."""
    _require_bulk_editor(actor)
    return _each(orders, lambda order: order_transition(order=order, name=name, actor=actor, note=note, via=via))
