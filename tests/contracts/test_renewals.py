"""Renewals: a reminder to the account managers `renewal_notice_days` before the end date, once per
end date; renewing by an amendment the client agrees to; a contract with automatic renewal renews
itself on its end date (also when the beat missed days) instead of expiring."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from contracts import amendments
from contracts.models import (
    Amendment,
    AmendmentState,
    ContractEvent,
    ContractState,
    ContractVersion,
)
from contracts.obligations import add_months
from contracts.tasks import expire_ended_contracts, renewals
from tenancy.errors import DomainError
from tenancy.models import Notification
from tests.clock import local_today
from tests.conftest import PASSWORD, postgres_only
from tests.contracts.api_support import active_contract
from tests.support import reload


def test_the_account_manager_is_reminded_once_per_end_date(world_a):
    today = local_today(world_a.tenant)
    contract = active_contract(world_a, end_date=today + dt.timedelta(days=20), renewal_notice_days=30)
    far = active_contract(world_a, end_date=today + dt.timedelta(days=60), renewal_notice_days=30)
    assert renewals(world_a.tenant.pk) == 1
    assert renewals(world_a.tenant.pk) == 0
    with world_a.context():
        told = Notification.objects.filter(user=world_a.account_manager, kind="contract_renewal")
        assert told.count() == 1 and contract.number in told.get().title
        assert ContractEvent.objects.filter(contract=contract, kind="renewal_reminded").count() == 1
    assert reload(world_a, contract).renewal_reminded_for == contract.end_date
    assert reload(world_a, far).renewal_reminded_for is None


def test_renewing_proposes_an_extension_the_client_agrees_to(world_a):
    today = local_today(world_a.tenant)
    contract = active_contract(world_a, end_date=today + dt.timedelta(days=20), renewal_term_months=6)
    with world_a.context():
        amendment = amendments.contract_renew(contract=contract, actor=world_a.account_manager)
    assert amendment.state == AmendmentState.PROPOSED and amendment.effective_date == today
    assert amendment.changes == {"end_date": add_months(contract.end_date, 6).isoformat()}
    with world_a.context(), pytest.raises(DomainError):  # one renewal of that end date at a time
        amendments.contract_renew(contract=contract, actor=world_a.account_manager)
    with world_a.context():
        amendments.amendment_agree(amendment=amendment, actor=world_a.client_signatory, password=PASSWORD,
                                   consent=True)
    assert reload(world_a, contract).end_date == add_months(contract.end_date, 6)


def test_an_open_ended_contract_is_not_renewed(world_a):
    contract = active_contract(world_a, end_date=None)
    with world_a.context(), pytest.raises(DomainError) as error:
        amendments.contract_renew(contract=contract, actor=world_a.account_manager)
    assert error.value.field == "end_date"


def test_automatic_renewal_on_the_end_date_extends_the_term_and_the_contract_does_not_expire(world_a):
    today = local_today(world_a.tenant)
    end = today + dt.timedelta(days=2)
    contract = active_contract(world_a, end_date=end, auto_renew=True, renewal_term_months=12)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=True):
        renewals(world_a.tenant.pk)
        renewals(world_a.tenant.pk)
    contract = reload(world_a, contract)
    assert contract.end_date == add_months(end, 12) and contract.state == ContractState.ACTIVE
    with world_a.context():
        renewal = Amendment.objects.get(contract=contract)
        assert renewal.state == AmendmentState.APPLIED and renewal.proposed_by is None
        assert renewal.effective_date == end and renewal.renews_end_date == end
        assert ContractVersion.objects.filter(contract=contract).count() == 2


def test_automatic_renewal_catches_up_before_expiry(world_a):
    today = local_today(world_a.tenant)
    end = today + dt.timedelta(days=1)
    contract = active_contract(world_a, end_date=end, auto_renew=True, renewal_term_months=1)
    plain = active_contract(world_a, end_date=end)
    with time_machine.travel(timezone.now() + dt.timedelta(days=40), tick=True):
        assert expire_ended_contracts(world_a.tenant.pk) == 1  # only the one without renewal
    contract = reload(world_a, contract)
    assert contract.state == ContractState.ACTIVE and contract.end_date == add_months(end, 2)
    assert reload(world_a, plain).state == ContractState.EXPIRED
    with world_a.context():
        assert Amendment.objects.filter(contract=contract, state=AmendmentState.APPLIED).count() == 2


@postgres_only("concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_renewing_at_once_renew_once(world_a):
    from tests.contracts.test_amendments import _in_threads

    end = local_today(world_a.tenant) + dt.timedelta(days=1)
    contract = active_contract(world_a, end_date=end, auto_renew=True, renewal_term_months=12)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        assert _in_threads(3, lambda: renewals(world_a.tenant.pk)) == []
    assert reload(world_a, contract).end_date == add_months(end, 12)
    with world_a.context():
        assert Amendment.objects.filter(contract=contract).count() == 1
        assert Notification.objects.filter(user=world_a.account_manager, kind="contract_renewal").count() <= 1
