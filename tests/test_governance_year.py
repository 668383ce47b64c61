"""Issue 10 end to end: half a year of one contract's governance in simulated time, through the real
services and beat tasks only — an amendment agreed in the portal's way and applied by the beat on
its date, the invoices the beat builds before, across and after it (computed here by hand), an
obligation that goes overdue and shows in the review's SLA report, a dispute that escalates at its
deadline and whose compensation becomes a credit note on the next invoice, and the audit chain over
all of it, which verifies and then catches an edited row."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.db import connection

from billing import services as billing
from billing.models import CreditNote, Invoice
from billing.tasks import build_due_invoices
from contracts import amendments, obligations
from contracts.models import Amendment, ObligationOccurrence
from contracts.tasks import apply_due_amendments, obligation_alerts
from contracts.versions import terms_in_force
from disputes import services as disputes
from disputes.models import Dispute
from disputes.tasks import escalate_and_settle
from reviews.metrics import sla_metrics
from tenancy.chain import chain_link, chain_verify
from tests.clock import add_months, local_today
from tests.contracts.api_support import move as contract_move
from tests.contracts.api_support import ready_contract
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
D = Decimal


def kop(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def days_in(first: dt.date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def local(world, day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(world.tenant.time_zone))


def fees(world, contract, first: dt.date) -> list[Decimal]:
    with world.context():
        invoice = Invoice.objects.get(contract=contract, period_start=first)
        return [line.amount for line in invoice.lines.filter(kind="fee").order_by("position")]


def test_half_a_year_of_governance_through_the_services_and_the_beat(world_a):
    world = world_a
    today = local_today(world.tenant)
    month = [add_months(today, k - 7) for k in range(8)]  # month[7] is this month
    split = next(m for m in month[3:6] if days_in(m) == 31)  # among three months one has 31 days
    k_split = month.index(split)
    effective = split + dt.timedelta(days=14)  # the 15th

    # month 0: the contract is signed and starts; the monthly report is due on the 5th
    with time_machine.travel(local(world, month[0] + dt.timedelta(days=1)), tick=False):
        contract = ready_contract(world, start_date=month[0], end_date=add_months(month[0], 24),
                                  monthly_fee=D("100000.00"), quality_share_pct=D("20.00"), invoice_day=1)
        contract = contract_move(world, contract, "submit", "activate")
        with world.context(user=world.account_manager):
            obligation = obligations.obligation_create(contract=contract, actor=world.account_manager,
                                                       title="Monthly report", owner=world.engineer,
                                                       rule="monthly", day=5, starts_on=add_months(month[0], 1))

    # month 1: the report of the 5th is not done; the beat marks it overdue the day after
    with time_machine.travel(local(world, month[1] + dt.timedelta(days=5), 2), tick=False):
        obligation_alerts(world.tenant.pk)
    with world.context():
        due = ObligationOccurrence.objects.get(obligation=obligation, due_date=month[1] + dt.timedelta(days=4))
        assert due.state == "overdue"
        report = sla_metrics(contract_ids=[contract.pk], period_start=month[1],
                             period_end=month[2] - dt.timedelta(days=1), time_zone=world.tenant.time_zone)
    assert report["obligations"]["overdue"] == 1

    # month 2: the client complains; negotiation has the contract's 10 days, then it escalates
    with time_machine.travel(local(world, month[2] + dt.timedelta(days=2)), tick=False):
        with world.context(user=world.client_admin):
            dispute = disputes.dispute_open(actor=world.client_admin, contract=contract, kind="complaint",
                                            title="The service desk was down", claimed_amount=D("5000.00"))
        deadline = dispute.stage_deadline
        assert deadline == month[2] + dt.timedelta(days=2 + contract.dispute_negotiation_days)
    with time_machine.travel(local(world, deadline, 3), tick=False):
        escalate_and_settle(world.tenant.pk)
    with world.context():
        assert Dispute.objects.get(pk=dispute.pk).state == "negotiation"  # the deadline day itself is still in time
    with time_machine.travel(local(world, deadline + dt.timedelta(days=1), 3), tick=False):
        escalate_and_settle(world.tenant.pk)
        escalate_and_settle(world.tenant.pk)  # twice: once
    with world.context():
        dispute = Dispute.objects.get(pk=dispute.pk)
        assert dispute.state == "mediation"
        assert dispute.stage_deadline == deadline + dt.timedelta(days=1 + contract.dispute_mediation_days)
    with time_machine.travel(local(world, deadline + dt.timedelta(days=3)), tick=False):
        with world.context(user=world.account_manager):
            disputes.dispute_resolve(dispute=dispute, actor=world.account_manager, compensation=D("3000.00"),
                                     note="Three days of the fee, as agreed in mediation")

    # the month before the split: the fee goes up from the 15th of the split month, agreed by the client
    with time_machine.travel(local(world, split - dt.timedelta(days=20)), tick=False):
        with world.context(user=world.account_manager):
            amendment = amendments.amendment_propose(
                contract=contract, actor=world.account_manager, effective_date=effective,
                reason="A second site joins", changes={"monthly_fee": "124000.00"})
        with world.context(user=world.client_signatory):
            amendments.amendment_agree(amendment=amendment, actor=world.client_signatory, password=PASSWORD,
                                       consent=True, ip_address="10.0.0.1", user_agent="pytest")
    with world.context():
        assert Amendment.objects.get(pk=amendment.pk).state == "agreed"  # its date has not come

    # every invoice day the beat builds the previous month and the accountant issues it; the
    # amendment's date comes in between
    for k in range(1, 8):
        if k - 1 == k_split:
            with time_machine.travel(local(world, effective, 1), tick=False):
                assert apply_due_amendments(world.tenant.pk) == 1
                assert apply_due_amendments(world.tenant.pk) == 0  # the beat again: applied once
        with time_machine.travel(local(world, month[k], 1), tick=False):
            assert build_due_invoices(world.tenant.pk) == 1
            with world.context(user=world.accountant):
                invoice = Invoice.objects.get(contract=contract, period_start=month[k - 1])
                billing.invoice_issue(invoice=invoice, actor=world.accountant)
            escalate_and_settle(world.tenant.pk)  # the compensation finds the first invoice issued after it

    with world.context():
        contract.refresh_from_db()
        assert contract.monthly_fee == D("124000.00")
        assert terms_in_force(contract, effective - dt.timedelta(days=1)).monthly_fee == D("100000.00")
        assert terms_in_force(contract, effective).monthly_fee == D("124000.00")
    assert fees(world, contract, month[k_split - 1]) == [D("100000.00")]
    assert fees(world, contract, split) == [kop(D("100000") * 14 / 31), kop(D("124000") * 17 / 31)]
    assert fees(world, contract, split) == [D("45161.29"), D("68000.00")]
    assert fees(world, contract, month[k_split + 1]) == [D("124000.00")]

    # the compensation: one credit note, on the invoice of month 2 (the first issued after resolving)
    with world.context():
        note = CreditNote.objects.get(invoice__contract=contract)
        assert note.amount == D("3000.00") and note.invoice.period_start == month[2]
        assert note.dispute_link.dispute_id == dispute.pk
        assert [link.credit_note_id for link in Dispute.objects.get(pk=dispute.pk).credit_links.all()] == [note.pk]

    # the audit trail of all of it is one chain, and an edited row breaks it where it was edited
    with world.context():
        chain_link(world.tenant.pk)
        report = chain_verify(world.tenant.pk)
        assert report.ok and report.checked >= 20
        with connection.cursor() as cursor:
            cursor.execute("UPDATE contracts_contractevent SET note = 'nothing happened' "
                           "WHERE id = (SELECT MIN(id) FROM contracts_contractevent WHERE contract_id = %s "
                           "AND kind = 'amendment_applied')", [contract.pk])
        broken = chain_verify(world.tenant.pk)
        assert not broken.ok and broken.broken.reason == "edited"
        assert broken.broken.table == "contracts.contractevent"
