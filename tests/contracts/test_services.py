"""The contract state machine through its services: roles, conditions, the recorded trail."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from contracts import services
from contracts.models import Contract, ContractEvent, ContractState
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tests.clock import local_today
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def ready_contract(world, **kwargs):
    """A contract in negotiation with an account manager and a client signatory."""
    contract = ContractFactory(tenant=world.tenant, client=world.client, **kwargs)
    with world.context():
        services.contract_role_assign(contract=contract, actor=world.admin, role="account_manager",
                                      user=world.account_manager)
        services.contract_role_assign(contract=contract, actor=world.admin, role="client_signatory",
                                      user=world.client_signatory)
        services.contract_submit(contract=contract, actor=world.account_manager)
    return contract


def test_contract_goes_through_its_life_and_every_transition_is_recorded(world_a):
    contract = ready_contract(world_a)
    am = world_a.account_manager
    with world_a.context():
        services.contract_activate(contract=contract, actor=am)
        services.contract_suspend(contract=contract, actor=am, note="Client audit")
        services.contract_resume(contract=contract, actor=am)
        services.contract_terminate(contract=contract, actor=world_a.admin, note="Mutual agreement")
        trail = list(
            ContractEvent.objects.filter(contract=contract, kind="transition")
            .values_list("from_state", "to_state", "actor__username", "note")
        )
    assert trail == [
        ("draft", "negotiation", am.username, ""),
        ("negotiation", "active", am.username, ""),
        ("active", "suspended", am.username, "Client audit"),
        ("suspended", "active", am.username, ""),
        ("active", "terminated", world_a.admin.username, "Mutual agreement"),
    ]


def test_activation_lists_every_unmet_condition_and_changes_nothing(world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client, start_date=None)
    with world_a.context():
        services.contract_submit(contract=contract, actor=world_a.admin)
        with pytest.raises(TransitionRefused) as refused:
            services.contract_activate(contract=contract, actor=world_a.admin)
        contract.refresh_from_db()
        assert contract.state == ContractState.NEGOTIATION
        assert ContractEvent.objects.filter(contract=contract, to_state="active").count() == 0
    assert [str(m) for m in refused.value.messages] == [
        "Set the start date.", "Assign an account manager.", "Assign a client signatory.",
    ]


@pytest.mark.parametrize("role", ["engineer", "accountant", "client_admin", "client_signatory"])
def test_only_admins_and_account_managers_move_a_contract(world_a, role):
    contract = ready_contract(world_a)
    with world_a.context(), pytest.raises(ActionForbidden):
        services.contract_activate(contract=contract, actor=getattr(world_a, role))


def test_a_transition_from_the_wrong_state_is_refused(world_a):
    contract = ContractFactory(tenant=world_a.tenant)
    with world_a.context():
        with pytest.raises(TransitionRefused):
            services.contract_resume(contract=contract, actor=world_a.admin)
        with pytest.raises(TransitionRefused):
            services.contract_transition(contract=contract, name="delete_everything", actor=world_a.admin)


def test_suspending_needs_a_reason(world_a):
    contract = ready_contract(world_a)
    with world_a.context():
        services.contract_activate(contract=contract, actor=world_a.admin)
        with pytest.raises(DomainError) as error:
            services.contract_suspend(contract=contract, actor=world_a.admin, note="  ")
    assert error.value.field == "note"


def test_a_contract_cannot_be_activated_after_its_end_date(world_a):
    contract = ready_contract(world_a, start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2025, 6, 30))
    with world_a.context(), pytest.raises(TransitionRefused) as refused:
        services.contract_activate(contract=contract, actor=world_a.admin)
    assert "The end date has already passed." in [str(m) for m in refused.value.messages]


def test_end_date_before_start_is_refused_on_create(world_a):
    with world_a.context(), pytest.raises(DomainError) as error:
        services.contract_create(
            actor=world_a.admin, client=world_a.client, provider=world_a.own_provider, number="X-1",
            title="Bad dates", start_date=datetime.date(2026, 5, 1), end_date=datetime.date(2026, 4, 1),
        )
    assert error.value.field == "end_date"
    with world_a.context():
        assert not Contract.objects.filter(number="X-1").exists()


def test_contract_numbers_are_unique_per_tenant_only(world_a, world_b):
    with world_a.context():
        services.contract_create(actor=world_a.admin, client=world_a.client, provider=world_a.own_provider,
                                 number="SAME-1", title="A")
        with pytest.raises(DomainError) as error:
            services.contract_create(actor=world_a.admin, client=world_a.client, provider=world_a.own_provider,
                                     number="SAME-1", title="A again")
    assert error.value.field == "number"
    with world_b.context():
        services.contract_create(actor=world_b.admin, client=world_b.client, provider=world_b.own_provider,
                                 number="SAME-1", title="B")


def test_an_unknown_currency_is_refused(world_a):
    with world_a.context(), pytest.raises(DomainError) as error:
        services.contract_create(actor=world_a.admin, client=world_a.client, provider=world_a.own_provider,
                                 number="X-2", title="Doubloons", currency="XDB")
    assert error.value.field == "currency"


def test_terms_of_an_active_contract_change_only_by_amendment(world_a):
    contract = ready_contract(world_a)
    with world_a.context():
        services.contract_activate(contract=contract, actor=world_a.admin)
        with pytest.raises(DomainError) as error:
            services.contract_update(contract=contract, actor=world_a.admin, monthly_fee=Decimal("1.00"))
        assert error.value.field == "monthly_fee"
        services.contract_update(contract=contract, actor=world_a.admin, title="Renamed")
        contract.refresh_from_db()
        assert contract.title == "Renamed"
        assert contract.monthly_fee == Decimal("250000.00")
        assert ContractEvent.objects.filter(contract=contract, kind="updated").count() == 1


def test_client_signatory_must_be_a_signing_user_of_the_contracts_client(world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    with world_a.context():
        with pytest.raises(DomainError):
            services.contract_role_assign(contract=contract, actor=world_a.admin, role="client_signatory",
                                          user=world_a.client_viewer)
        with pytest.raises(DomainError):
            services.contract_role_assign(contract=contract, actor=world_a.admin, role="client_signatory",
                                          user=world_a.engineer)
        with pytest.raises(DomainError):
            services.contract_role_assign(contract=contract, actor=world_a.admin, role="resolver",
                                          user=world_a.client_admin)


def test_a_user_of_another_tenant_cannot_be_given_a_role(world_a, world_b):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    with world_a.context(), pytest.raises(DomainError) as error:
        services.contract_role_assign(contract=contract, actor=world_a.admin, role="account_manager",
                                      user=world_b.account_manager)
    assert error.value.field == "user"


def test_active_contract_keeps_its_last_signatory(world_a):
    contract = ready_contract(world_a)
    with world_a.context():
        services.contract_activate(contract=contract, actor=world_a.admin)
        signatory = contract.roles.get(role="client_signatory")
        with pytest.raises(DomainError):
            services.contract_role_remove(assignment=signatory, actor=world_a.admin)


def test_expiry_task_expires_only_ended_contracts_and_is_safe_to_rerun(world_a, world_b):
    from contracts.tasks import expire_ended_contracts

    today = local_today(world_a.tenant)
    start = today - datetime.timedelta(days=300)
    ending = ready_contract(world_a, start_date=start, end_date=today + datetime.timedelta(days=5))
    lasting = ready_contract(world_b, start_date=start, end_date=today + datetime.timedelta(days=400))
    for world, contract in ((world_a, ending), (world_b, lasting)):
        with world.context():
            services.contract_activate(contract=contract, actor=world.admin)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7)):
        assert expire_ended_contracts() == 1
        assert expire_ended_contracts() == 0
    with world_a.context():
        ending.refresh_from_db()
        event = ContractEvent.objects.get(contract=ending, to_state="expired")
    assert ending.state == ContractState.EXPIRED
    assert event.actor is None and event.actor_label == "System"
    with world_b.context():
        lasting.refresh_from_db()
    assert lasting.state == ContractState.ACTIVE
