"""Helpers shared by the confirmations tests: an active contract, delivered orders, a sent act."""

from __future__ import annotations

import datetime as dt

from confirmations import services
from confirmations.models import Act
from confirmations.services import SignInput
from tests.clock import local_today, month_of
from tests.contracts.api_support import active_contract
from tests.orders.api_support import move
from tests.support import raise_order

ACTS = "/api/v1/acts/"
VERIFY = "/api/v1/verify/"


def this_month(world) -> tuple[dt.date, dt.date]:
    """The first and last day of the current month in the world's tenant's time zone (an act's
    period is the tenant's month, not UTC's: they differ on a month's last evening)."""
    return month_of(local_today(world.tenant))


def delivered_order(world, contract, title: str = "Replace the core switch"):
    order = raise_order(world, contract, title=title)
    engineer = world.engineer
    return move(world, order, ("acknowledge", engineer), ("plan", engineer), ("agree", world.client_admin),
                ("approve", engineer), ("start", engineer), ("deliver", engineer))


def draft_act(world, contract=None, *, basis=services.Basis.FEE, language="en", **fields) -> Act:
    contract = contract or active_contract(world)
    start, end = this_month(world)
    with world.context(user=world.account_manager):
        return services.act_create(actor=world.account_manager, contract=contract, period_start=start,
                                   period_end=end, basis=basis, language=language, **fields)


def send(world, act, capture) -> Act:
    """Send through the service, running the render task queued on commit."""
    with world.context(user=world.account_manager), capture(execute=True):
        services.act_send(act=act, actor=world.account_manager)
    return reload(world, act)


def sent_act(world, capture, **fields) -> Act:
    return send(world, draft_act(world, **fields), capture)


def sign(world, act, capture, *, user=None, rating=5, **fields) -> Act:
    user = user or world.client_signatory
    fields.setdefault("consent", True)
    fields.setdefault("password", "correct-horse-battery")
    with world.context(user=user), capture(execute=True):
        services.act_sign(act=act, actor=user, data=SignInput(rating=rating, **fields))
    return reload(world, act)


def reload(world, act) -> Act:
    with world.context():
        return Act.objects.select_related("evidence", "contract").get(pk=act.pk)


def read(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


def one_byte_changed(pdf: bytes) -> bytes:
    """The same file with one byte of the first content stream changed (it still parses)."""
    at = pdf.index(b"stream\n") + 40
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]
