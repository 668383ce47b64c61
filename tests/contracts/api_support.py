"""Helpers shared by the contracts API tests."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract
from contracts.services import contract_transition
from tests.factories import ContractFactory, ContractRoleFactory


def next_year(world) -> datetime.date:
    """A year from the tenant's today: the end date `draft_contract` gives."""
    return world.tenant.today() + datetime.timedelta(days=365)


def draft_contract(world, **fields) -> Contract:
    """A draft contract of `world`'s client whose end date lies ahead."""
    fields.setdefault("client", world.client)
    fields.setdefault("provider", world.own_provider)
    today = world.tenant.today()  # the tenant's date, which at a month's last evening in UTC is already tomorrow
    fields.setdefault("start_date", today)
    fields.setdefault("end_date", next_year(world))
    return ContractFactory(tenant=world.tenant, **fields)


def ready_contract(world, **fields) -> Contract:
    """A draft contract with everything activation needs: dates, account manager, client signatory."""
    contract = draft_contract(world, **fields)
    ContractRoleFactory(contract=contract, role="account_manager", user=world.account_manager)
    ContractRoleFactory(contract=contract, role="client_signatory", user=world.client_signatory)
    return contract


def move(world, contract, *names: str, note: str = "set up by the test") -> Contract:
    """Fire transitions through the service, as the world's admin."""
    with world.context(user=world.admin):
        for name in names:
            contract = contract_transition(contract=contract, name=name, actor=world.admin, note=note)
    return contract


def active_contract(world, **fields) -> Contract:
    return move(world, ready_contract(world, **fields), "submit", "activate")


def state_of(world, contract) -> str:
    with world.context():
        return Contract.objects.get(pk=contract.pk).state


def count_queries(api, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def assert_error(response, status: int, *, code: str | None = None, field: str | None = None):
    """The API's one error shape, with the status, top-level code and (optionally) a field named."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert body["message"], body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    for error in body["errors"]:
        assert set(error) == {"field", "code", "message"}, body
    return body
