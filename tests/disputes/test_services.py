"""Disputes through their services: open, escalate, resolve, withdraw, the beat at the deadline,
the disputed act, and the compensation credited on the next invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import CreditNote
from confirmations import services as acts
from disputes import services
from disputes.models import Dispute, DisputeCreditNote, DisputeEvent, DisputeState
from disputes.tasks import escalate_and_settle
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Notification
from tests.clock import local_today
from tests.factories import ContractRoleFactory

from .support import contract_of, days_later, issued_invoice, open_dispute, reload, sent_act

pytestmark = pytest.mark.django_db


def notifications(world, user, kind):
    with world.context():
        return list(Notification.objects.filter(user=user, kind=kind))


def events(world, dispute, **filters):
    with world.context():
        return list(DisputeEvent.objects.filter(dispute=dispute, **filters).order_by("id"))


def test_a_client_opens_a_complaint_in_negotiation_with_the_contracts_deadline(world_a):
    contract = contract_of(world_a, dispute_negotiation_days=7)
    dispute = open_dispute(world_a, contract, claimed_amount="15000.00", description="Two days without support")
    assert dispute.state == DisputeState.NEGOTIATION
    assert dispute.number.startswith("DSP-") and dispute.number.endswith("-0001")
    assert dispute.stage_deadline == local_today(world_a.tenant) + dt.timedelta(days=7)
    assert dispute.opened_side == "client" and dispute.claimed_amount == Decimal("15000.00")
    assert [e.kind for e in events(world_a, dispute)] == ["opened"]
    # the other side (the contract's account manager) is told
    assert len(notifications(world_a, world_a.account_manager, "dispute_opened")) == 1


def test_a_client_viewer_and_an_engineer_cannot_open_a_dispute(world_a):
    contract = contract_of(world_a)
    for user in (world_a.client_viewer, world_a.engineer):
        with pytest.raises(ActionForbidden):
            open_dispute(world_a, contract, actor=user)


def test_a_deadline_in_the_past_is_refused_naming_the_field_and_nothing_is_saved(world_a):
    contract = contract_of(world_a)
    with pytest.raises(DomainError) as error:
        open_dispute(world_a, contract, stage_deadline=local_today(world_a.tenant) - dt.timedelta(days=1))
    assert error.value.field == "stage_deadline"
    with world_a.context():
        assert not Dispute.objects.exists()


def test_a_kind_without_its_subject_and_a_subject_of_another_contract_are_refused(world_a):
    contract, other = contract_of(world_a), contract_of(world_a)
    with pytest.raises(DomainError) as error:
        open_dispute(world_a, contract, kind="act")
    assert error.value.field == "act"
    with pytest.raises(DomainError) as error:
        open_dispute(world_a, contract, kind="act", act=sent_act(world_a, other))
    assert error.value.field == "act"
    with pytest.raises(DomainError) as error:
        open_dispute(world_a, contract, kind="invoice_line")
    assert error.value.field == "invoice_line"
    with pytest.raises(DomainError) as error:
        open_dispute(world_a, contract, kind="complaint", act=sent_act(world_a, contract))
    assert error.value.field == "act"
    with world_a.context():
        assert not Dispute.objects.exists()


def test_a_negative_claim_or_compensation_is_refused(world_a):
    contract = contract_of(world_a)
    with pytest.raises(DomainError) as error:
        open_dispute(world_a, contract, claimed_amount="-1")
    assert error.value.field == "claimed_amount"
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.account_manager), pytest.raises(DomainError) as error:
        services.dispute_resolve(dispute=dispute, actor=world_a.account_manager, compensation="-5", note="ok")
    assert error.value.field == "compensation"
    assert reload(world_a, dispute).state == DisputeState.NEGOTIATION


def test_a_party_escalates_and_the_next_stage_owner_is_told(world_a):
    contract = contract_of(world_a, dispute_mediation_days=12)
    ContractRoleFactory(contract=contract, role="coordinator", user=world_a.engineer)
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.client_signatory):
        dispute = services.dispute_escalate(dispute=dispute, actor=world_a.client_signatory, note="No answer")
    assert dispute.state == DisputeState.MEDIATION
    assert dispute.stage_deadline == local_today(world_a.tenant) + dt.timedelta(days=12)
    assert len(notifications(world_a, world_a.engineer, "dispute_escalated")) == 1  # the coordinator
    with world_a.context(user=world_a.admin):
        dispute = services.dispute_escalate(dispute=dispute, actor=world_a.admin)
        assert dispute.state == DisputeState.ARBITRATION
        with pytest.raises(TransitionRefused):
            services.dispute_escalate(dispute=dispute, actor=world_a.admin)
    assert len(notifications(world_a, world_a.admin, "dispute_escalated")) == 1


def test_the_beat_escalates_the_day_after_the_deadline_once_and_tells_the_owner_once(world_a):
    contract = contract_of(world_a, dispute_negotiation_days=3, dispute_mediation_days=20)
    ContractRoleFactory(contract=contract, role="coordinator", user=world_a.engineer)
    dispute = open_dispute(world_a, contract)
    deadline = dispute.stage_deadline
    with days_later(3):  # the deadline's day: nothing yet
        assert local_today(world_a.tenant) == deadline
        escalate_and_settle(world_a.tenant.pk)
        assert reload(world_a, dispute).state == DisputeState.NEGOTIATION
    with days_later(4):
        escalate_and_settle(world_a.tenant.pk)
        escalate_and_settle(world_a.tenant.pk)  # twice: once
        dispute = reload(world_a, dispute)
        assert dispute.state == DisputeState.MEDIATION
        assert dispute.stage_deadline == local_today(world_a.tenant) + dt.timedelta(days=20)
    assert len(events(world_a, dispute, transition="escalate")) == 1
    assert len(notifications(world_a, world_a.engineer, "dispute_escalated")) == 1


def test_an_overdue_arbitration_alerts_the_administrators_once(world_a):
    contract = contract_of(world_a, dispute_arbitration_days=5)
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.admin):
        dispute = services.dispute_escalate(dispute=dispute, actor=world_a.admin)
        dispute = services.dispute_escalate(dispute=dispute, actor=world_a.admin)
    with days_later(6):
        escalate_and_settle(world_a.tenant.pk)
        escalate_and_settle(world_a.tenant.pk)
    assert reload(world_a, dispute).state == DisputeState.ARBITRATION
    assert len(events(world_a, dispute, kind="alert")) == 1
    assert len(notifications(world_a, world_a.admin, "dispute_overdue")) == 1


def test_only_the_opening_side_withdraws(world_a):
    dispute = open_dispute(world_a, contract_of(world_a))
    with world_a.context(user=world_a.account_manager), pytest.raises(ActionForbidden):
        services.dispute_withdraw(dispute=dispute, actor=world_a.account_manager)
    with world_a.context(user=world_a.client_signatory):
        dispute = services.dispute_withdraw(dispute=dispute, actor=world_a.client_signatory, note="Sorted out")
    assert dispute.state == DisputeState.WITHDRAWN
    with world_a.context(user=world_a.client_admin), pytest.raises(TransitionRefused):
        services.dispute_withdraw(dispute=dispute, actor=world_a.client_admin)


def test_the_client_cannot_resolve_and_a_compensation_above_the_claim_is_refused(world_a):
    dispute = open_dispute(world_a, contract_of(world_a), claimed_amount="1000.00")
    with world_a.context(user=world_a.client_admin), pytest.raises(ActionForbidden):
        services.dispute_resolve(dispute=dispute, actor=world_a.client_admin, compensation="10", note="ok")
    with world_a.context(user=world_a.admin), pytest.raises(DomainError) as error:
        services.dispute_resolve(dispute=dispute, actor=world_a.admin, compensation="1000.01", note="ok")
    assert error.value.field == "compensation"


def test_the_deadline_moves_later_but_never_into_the_past(world_a):
    dispute = open_dispute(world_a, contract_of(world_a))
    today = local_today(world_a.tenant)
    with world_a.context(user=world_a.account_manager):
        with pytest.raises(DomainError) as error:
            services.dispute_set_deadline(dispute=dispute, actor=world_a.account_manager,
                                          stage_deadline=today - dt.timedelta(days=1))
        assert error.value.field == "stage_deadline"
        dispute = services.dispute_set_deadline(dispute=dispute, actor=world_a.account_manager,
                                                stage_deadline=today + dt.timedelta(days=40))
    assert dispute.stage_deadline == today + dt.timedelta(days=40)
    assert events(world_a, dispute, kind="deadline")[0].data["changes"]["stage_deadline"][1] == str(
        today + dt.timedelta(days=40))


def test_a_disputed_act_opens_one_dispute_even_when_disputed_again(world_a, django_capture_on_commit_callbacks):
    contract = contract_of(world_a)
    act = sent_act(world_a, contract)
    with world_a.context(user=world_a.client_signatory), django_capture_on_commit_callbacks(execute=True):
        acts.act_dispute(act=act, actor=world_a.client_signatory, reason="Hours are wrong")
    with world_a.context():
        dispute = Dispute.objects.get(act=act)
        assert dispute.kind == "act" and dispute.opened_by == world_a.client_signatory
        assert dispute.description == "Hours are wrong"
        # reworked and sent again, disputed again: still the one dispute, the timeline says so
        with world_a.context(user=world_a.account_manager):
            from confirmations.models import Act
            Act.objects.filter(pk=act.pk).update(state="sent", revision=2)
            act.refresh_from_db()
    with world_a.context(user=world_a.client_signatory), django_capture_on_commit_callbacks(execute=True):
        acts.act_dispute(act=act, actor=world_a.client_signatory, reason="Still wrong")
    with world_a.context():
        assert Dispute.objects.filter(act=act).count() == 1
    assert [e.note for e in events(world_a, dispute, kind="act_disputed")] == ["Still wrong"]
    escalate_and_settle(world_a.tenant.pk)  # the beat's repair finds nothing missing
    with world_a.context():
        assert Dispute.objects.filter(act=act).count() == 1


def test_the_beat_opens_the_dispute_of_a_disputed_act_the_hook_missed(world_a):
    contract = contract_of(world_a)
    act = sent_act(world_a, contract, state="disputed")
    escalate_and_settle(world_a.tenant.pk)
    escalate_and_settle(world_a.tenant.pk)
    with world_a.context():
        assert Dispute.objects.filter(act=act, kind="act").count() == 1


def test_compensation_becomes_a_credit_note_on_the_next_issued_invoice_linked_both_ways(
        world_a, django_capture_on_commit_callbacks):
    contract = contract_of(world_a)
    dispute = open_dispute(world_a, contract, claimed_amount="20000.00")
    with world_a.context(user=world_a.account_manager):
        services.dispute_resolve(dispute=dispute, actor=world_a.account_manager, compensation="12500.00",
                                 note="Agreed: a reduction for the two days")
    invoice = issued_invoice(world_a, contract, capture=django_capture_on_commit_callbacks)
    with world_a.context():
        link = DisputeCreditNote.objects.select_related("credit_note").get(dispute=dispute)
        note = link.credit_note
        assert note.invoice_id == invoice.pk and note.amount == Decimal("12500.00")
        assert dispute.number in note.reason
        assert note.dispute_link.dispute_id == dispute.pk  # and back
    # the beat (or the hook again) credits nothing more
    escalate_and_settle(world_a.tenant.pk)
    with world_a.context():
        services.disputes_settle(contract_id=contract.pk)
        assert CreditNote.objects.filter(invoice=invoice).count() == 1


def test_a_compensation_larger_than_the_invoice_is_credited_in_part_and_the_rest_on_the_next(
        world_a, django_capture_on_commit_callbacks):
    contract = contract_of(world_a, monthly_fee=Decimal("10000.00"))
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.admin):
        services.dispute_resolve(dispute=dispute, actor=world_a.admin, compensation="15000.00", note="Agreed")
    first = issued_invoice(world_a, contract, months_back=2, capture=django_capture_on_commit_callbacks)
    with world_a.context():
        credited = [link.amount for link in DisputeCreditNote.objects.filter(dispute=dispute)]
        assert credited == [first.subtotal] and first.subtotal < Decimal("15000.00")
    issued_invoice(world_a, contract, months_back=1, capture=django_capture_on_commit_callbacks)
    with world_a.context():
        assert services.credited_amount(dispute) == Decimal("15000.00")
        assert DisputeCreditNote.objects.filter(dispute=dispute).count() == 2


def test_an_invoice_issued_before_the_resolution_is_not_the_next_invoice(world_a, django_capture_on_commit_callbacks):
    contract = contract_of(world_a)
    invoice = issued_invoice(world_a, contract, capture=django_capture_on_commit_callbacks)
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.admin):
        services.dispute_resolve(dispute=dispute, actor=world_a.admin, compensation="100.00", note="Agreed")
    escalate_and_settle(world_a.tenant.pk)
    with world_a.context():
        assert not CreditNote.objects.filter(invoice=invoice).exists()


def test_a_failed_credit_on_issue_leaves_the_invoice_issued_and_the_beat_credits_it(
        world_a, django_capture_on_commit_callbacks, monkeypatch):
    contract = contract_of(world_a)
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.admin):
        services.dispute_resolve(dispute=dispute, actor=world_a.admin, compensation="300.00", note="Agreed")

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "disputes_settle", broken)
    invoice = issued_invoice(world_a, contract, capture=django_capture_on_commit_callbacks)
    assert invoice.state == "issued"
    monkeypatch.undo()
    with world_a.context():
        assert not DisputeCreditNote.objects.exists()
    escalate_and_settle(world_a.tenant.pk)
    with world_a.context():
        assert DisputeCreditNote.objects.get(dispute=dispute).credit_note.invoice_id == invoice.pk
