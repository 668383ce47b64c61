"""Amendments: proposing, agreeing (with the client's password and consent), applying into
versions, the terms in force before and after, bad input refused with nothing saved, and applying
once however many workers try."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from confirmations.models import SigningLockout
from confirmations.services import SigningLocked
from contracts import amendments, services, versions
from contracts.models import (
    Amendment,
    AmendmentState,
    Contract,
    ContractEvent,
    ContractRole,
    ContractState,
    ContractVersion,
)
from contracts.tasks import apply_due_amendments
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Notification
from tests.clock import local_today
from tests.conftest import PASSWORD, postgres_only
from tests.contracts.api_support import active_contract, ready_contract
from tests.support import reload


def propose(world, contract, *, actor=None, days: int = 0, changes=None, reason: str = "Scope grows"):
    with world.context(user=actor or world.account_manager):
        return amendments.amendment_propose(
            contract=contract, actor=actor or world.account_manager,
            effective_date=local_today(world.tenant) + dt.timedelta(days=days), reason=reason,
            changes=changes if changes is not None else {"monthly_fee": "300000.00"})


def agree(world, amendment, *, actor=None, password: str = PASSWORD, consent: bool = True):
    with world.context(user=actor or world.client_signatory):
        return amendments.amendment_agree(amendment=amendment, actor=actor or world.client_signatory,
                                          password=password, consent=consent, ip_address="10.0.0.1",
                                          user_agent="pytest")


def count(world, model, **lookup) -> int:
    with world.context():
        return model.objects.filter(**lookup).count()


@pytest.fixture
def guard_from():
    """A throwaway guard (billing registers the real one): terms may not change before `date`."""
    holder: dict = {}

    def guard(contract, on):
        if holder.get("date") and on < holder["date"]:
            return "That period is already invoiced."
        return None

    versions.register_guard(guard)
    yield holder
    versions._GUARDS.remove(guard)


# --- activation, proposing --------------------------------------------------------------------

def test_activation_writes_version_one_from_the_start_date(world_a):
    contract = active_contract(world_a)
    with world_a.context():
        version = ContractVersion.objects.get(contract=contract)
    assert version.number == 1 and version.effective_from == contract.start_date
    assert version.terms["monthly_fee"] == "250000.00"
    assert {r["role"] for r in version.terms["sections"]["roles"]} == {"account_manager", "client_signatory"}


def test_the_account_manager_proposes_and_the_client_signatory_is_told(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=10)
    assert amendment.state == AmendmentState.PROPOSED and amendment.proposed_side == "provider"
    assert re.fullmatch(r"AM-\d{4}-\d{4}", amendment.number)
    assert amendment.changes == {"monthly_fee": "300000.00"}
    assert count(world_a, ContractEvent, contract=contract, kind="amendment_proposed") == 1
    assert count(world_a, Notification, user=world_a.client_signatory, kind="amendment_proposed") == 1


@pytest.mark.parametrize(("changes", "days", "reason", "field"), [
    ({"monthly_fee": "300000"}, -1, "why", "effective_date"),  # before the contract starts (today)
    ({}, 0, "why", "changes"),
    ({"colour": "blue"}, 0, "why", "changes.colour"),
    ({"monthly_fee": "250000.00"}, 0, "why", "changes.monthly_fee"),  # the current value
    ({"monthly_fee": "-1"}, 0, "why", "changes.monthly_fee"),
    ({"monthly_fee": "abc"}, 0, "why", "changes.monthly_fee"),
    ({"quality_share_pct": "101"}, 0, "why", "changes.quality_share_pct"),
    ({"acceptance_days": 0}, 0, "why", "changes.acceptance_days"),
    ({"end_date": "2000-01-01"}, 0, "why", "changes.end_date"),
    ({"end_date": "9999-12-31"}, 0, "why", "changes.end_date"),
    ({"parties": "everyone"}, 0, "why", "changes.parties"),
    ({"parties": [{"kind": "customer"}]}, 0, "why", "changes.parties"),
    ({"monthly_fee": "300000"}, 0, "  ", "reason"),
    ({"roles": [{"role": "account_manager", "user": "nobody"}]}, 0, "why", "changes.roles"),
])
def test_bad_proposals_name_the_field_and_save_nothing(world_a, changes, days, reason, field):
    contract = active_contract(world_a)
    with pytest.raises(DomainError) as error:
        propose(world_a, contract, days=days, changes=changes, reason=reason)
    assert error.value.field == field
    assert count(world_a, Amendment) == 0
    assert count(world_a, ContractEvent, kind="amendment_proposed") == 0


def test_an_amendment_inside_an_invoiced_period_is_refused(world_a, guard_from):
    contract = active_contract(world_a)
    guard_from["date"] = local_today(world_a.tenant) + dt.timedelta(days=5)
    with pytest.raises(DomainError) as error:
        propose(world_a, contract, days=2)
    assert error.value.field == "effective_date" and "invoiced" in str(error.value.message)
    assert count(world_a, Amendment) == 0


def test_two_amendments_changing_the_same_term_from_the_same_date_are_refused(world_a):
    contract = active_contract(world_a)
    first = propose(world_a, contract, days=3)
    with pytest.raises(DomainError) as error:
        propose(world_a, contract, days=3, changes={"monthly_fee": "310000", "acceptance_days": 7})
    assert error.value.field == "changes.monthly_fee" and first.number in str(error.value.message)
    assert count(world_a, Amendment) == 1
    # another term on that date, or the same term on another date, is fine
    propose(world_a, contract, days=3, changes={"acceptance_days": 7})
    propose(world_a, contract, days=4)


def test_only_the_two_sides_may_propose(world_a):
    contract = active_contract(world_a)
    for user in (world_a.engineer, world_a.accountant, world_a.client_viewer):
        with pytest.raises(ActionForbidden):
            propose(world_a, contract, actor=user)
    assert count(world_a, Amendment) == 0


def test_a_draft_contract_is_not_amended(world_a):
    contract = ready_contract(world_a)
    with pytest.raises(TransitionRefused):
        propose(world_a, contract)


# --- agreeing, applying -----------------------------------------------------------------------

def test_the_client_agrees_with_password_and_consent_and_it_applies_at_once(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=0)
    amendment = agree(world_a, amendment)
    assert amendment.state == AmendmentState.APPLIED and amendment.version.number == 1  # same day as v1
    contract = reload(world_a, contract)
    assert contract.monthly_fee == Decimal("300000.00")
    with world_a.context():
        consent = amendment.consent
        assert consent.signer == world_a.client_signatory and consent.ip_address == "10.0.0.1"
        assert consent.document_sha256 == amendments.document_sha256(Amendment.objects.get(pk=amendment.pk))
        assert amendment.number in consent.consent_text
        event = ContractEvent.objects.get(contract=contract, kind="amendment_applied")
        assert ["monthly_fee", "250000.00", "300000.00"] in event.data["diff"]
    assert count(world_a, Notification, user=world_a.account_manager, kind="amendment_agreed") == 1


def test_a_wrong_password_is_refused_and_counts_toward_the_lockout(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=1)
    for _attempt in range(4):
        with pytest.raises(DomainError) as error:
            agree(world_a, amendment, password="wrong")
        assert error.value.field == "password"
    with pytest.raises(SigningLocked):
        agree(world_a, amendment, password="wrong")
    with pytest.raises(SigningLocked):  # locked: even the right password waits
        agree(world_a, amendment)
    assert reload(world_a, amendment).state == AmendmentState.PROPOSED
    assert count(world_a, SigningLockout, user=world_a.client_signatory) == 1


def test_consent_is_required_and_the_proposer_cannot_agree(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=1)
    with pytest.raises(DomainError) as error:
        agree(world_a, amendment, consent=False)
    assert error.value.field == "consent"
    with pytest.raises(ActionForbidden):
        agree(world_a, amendment, actor=world_a.account_manager)
    assert reload(world_a, amendment).state == AmendmentState.PROPOSED


def test_a_future_amendment_waits_for_its_date_and_the_terms_in_force_follow_it(world_a):
    contract = active_contract(world_a)
    today = local_today(world_a.tenant)
    amendment = agree(world_a, propose(world_a, contract, days=10))
    assert amendment.state == AmendmentState.AGREED
    assert apply_due_amendments(world_a.tenant.pk) == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=10), tick=True):
        assert apply_due_amendments(world_a.tenant.pk) == 1
        assert apply_due_amendments(world_a.tenant.pk) == 0  # idempotent
    with world_a.context():
        amendment = Amendment.objects.select_related("version").get(pk=amendment.pk)
        assert amendment.state == AmendmentState.APPLIED and amendment.version.number == 2
        contract = Contract.objects.get(pk=contract.pk)
        assert versions.terms_in_force(contract, today + dt.timedelta(days=9)).monthly_fee == Decimal("250000.00")
        contract = Contract.objects.get(pk=contract.pk)
        in_force = versions.terms_in_force(contract, today + dt.timedelta(days=10))
        assert in_force.monthly_fee == Decimal("300000.00") and in_force.version == 2
        segments = versions.terms_segments(contract, today, today + dt.timedelta(days=20))
        assert [s.days for s in segments] == [10, 11]
        rows = amendments.version_list(contract=contract)
        assert [(c.term, c.after) for c in rows[1].changes] == [("monthly_fee", "300,000.00")]
    assert count(world_a, ContractEvent, contract=contract, kind="amendment_applied") == 1


def test_applying_twice_applies_once(world_a):
    contract = active_contract(world_a)
    amendment = agree(world_a, propose(world_a, contract, days=0))
    with world_a.context():
        again = amendments.amendment_apply(amendment=amendment)
    assert again.state == AmendmentState.APPLIED
    assert count(world_a, ContractVersion, contract=contract) == 1
    assert count(world_a, ContractEvent, contract=contract, kind="amendment_applied") == 1


def test_the_client_proposes_and_the_account_manager_agrees_without_a_password(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, actor=world_a.client_signatory, days=0,
                        changes={"acceptance_days": 10})
    assert amendment.proposed_side == "client"
    assert count(world_a, Notification, user=world_a.account_manager, kind="amendment_proposed") == 1
    with pytest.raises(ActionForbidden):
        agree(world_a, amendment)  # the proposer's side does not agree
    amendment = agree(world_a, amendment, actor=world_a.account_manager, password="")
    assert amendment.state == AmendmentState.APPLIED
    assert reload(world_a, contract).acceptance_days == 10


def test_reject_needs_a_reason_and_tells_the_proposer(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=1)
    with world_a.context(), pytest.raises(DomainError) as error:
        amendments.amendment_reject(amendment=amendment, actor=world_a.client_signatory, note=" ")
    assert error.value.field == "note"
    with world_a.context():
        amendments.amendment_reject(amendment=amendment, actor=world_a.client_signatory, note="Too expensive")
    assert reload(world_a, amendment).state == AmendmentState.REJECTED
    assert count(world_a, Notification, user=world_a.account_manager, kind="amendment_rejected") == 1
    with pytest.raises(TransitionRefused):
        agree(world_a, amendment)


def test_the_proposer_cancels_and_the_other_side_cannot(world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=1)
    with world_a.context(), pytest.raises(ActionForbidden):
        amendments.amendment_cancel(amendment=amendment, actor=world_a.client_signatory)
    with world_a.context():
        amendments.amendment_cancel(amendment=amendment, actor=world_a.admin)
    assert reload(world_a, amendment).state == AmendmentState.CANCELLED
    propose(world_a, contract, days=1)  # the term on that date is free again


def test_an_agreement_rechecks_the_guard(world_a, guard_from):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=2)
    guard_from["date"] = local_today(world_a.tenant) + dt.timedelta(days=5)
    with pytest.raises(DomainError) as error:
        agree(world_a, amendment)
    assert error.value.field == "effective_date"
    assert reload(world_a, amendment).state == AmendmentState.PROPOSED
    assert count(world_a, ContractEvent, kind="amendment_agreed") == 0


def test_an_amendment_changes_the_roles_section(world_a):
    contract = active_contract(world_a)
    roles = [{"role": "account_manager", "user": world_a.admin.username},
             {"role": "client_signatory", "user": world_a.client_signatory.username}]
    amendment = agree(world_a, propose(world_a, contract, changes={"roles": roles}))
    assert amendment.state == AmendmentState.APPLIED
    with world_a.context():
        assert set(ContractRole.objects.filter(contract=contract).values_list("role", "user__username")) == {
            ("account_manager", world_a.admin.username), ("client_signatory", world_a.client_signatory.username)}


def test_termination_ends_the_contract_on_that_day(world_a):
    contract = active_contract(world_a)
    with world_a.context():
        services.contract_terminate(contract=contract, actor=world_a.admin, note="Client left")
        contract = Contract.objects.get(pk=contract.pk)
        event = ContractEvent.objects.filter(contract=contract, transition="terminate").get()
    assert contract.state == ContractState.TERMINATED
    assert contract.end_date == local_today(world_a.tenant)
    assert event.data["end_date"][1] == contract.end_date.isoformat()


# --- concurrency ------------------------------------------------------------------------------

def _in_threads(count: int, work) -> list:
    import threading

    from django.db import connection

    barrier, errors = threading.Barrier(count), []

    def run():
        try:
            barrier.wait(timeout=30)
            work()
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@postgres_only("concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_applying_the_same_amendment_apply_it_once(world_a):
    contract = active_contract(world_a)
    amendment = agree(world_a, propose(world_a, contract, days=3))
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=True):
        def work():
            with world_a.context():
                amendments.amendment_apply(amendment=amendment)

        assert _in_threads(2, work) == []
    assert reload(world_a, amendment).state == AmendmentState.APPLIED
    assert count(world_a, ContractVersion, contract=contract) == 2
    assert count(world_a, ContractEvent, contract=contract, kind="amendment_applied") == 1


def test_an_end_date_edited_on_a_signed_contract_is_carried_by_the_version_in_force_from_today(world_a):
    from contracts.services import contract_update
    from contracts.versions import terms_in_force

    today = local_today(world_a.tenant)
    contract = active_contract(world_a, start_date=today - dt.timedelta(days=30))
    later = today + dt.timedelta(days=500)
    with world_a.context(user=world_a.account_manager):
        contract_update(contract=contract, actor=world_a.account_manager, end_date=later)
        contract = Contract.objects.get(pk=contract.pk)
        assert terms_in_force(contract, today).end_date == later
        assert ContractVersion.objects.filter(contract=contract).count() == 2
        assert terms_in_force(contract, today - dt.timedelta(days=1)).end_date != later


def test_sla_policies_edited_on_a_signed_contract_are_in_the_version_from_today(world_a):
    from contracts.versions import terms_in_force
    from sla import services as sla

    today = local_today(world_a.tenant)
    contract = active_contract(world_a, start_date=today - dt.timedelta(days=30))
    with world_a.context(user=world_a.account_manager):
        sla.policy_create(actor=world_a.account_manager, contract=contract, priority="high",
                          response_target=dt.timedelta(hours=4), resolution_target=dt.timedelta(hours=24))
        contract = Contract.objects.get(pk=contract.pk)
        before = terms_in_force(contract, today - dt.timedelta(days=1)).sections.get("sla_policies") or {}
        now = terms_in_force(contract, today).sections["sla_policies"]
    assert list(now) == ["high"] and now["high"]["response_target_seconds"] == 4 * 3600 and before == {}
