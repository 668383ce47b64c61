"""Demo disputes (called by `manage.py demo_data` for each demo tenant, inside its tenant): the
client's dispute of last month's act in negotiation, a complaint escalated to mediation, and a
disputed invoice line resolved with a compensation waiting for the next invoice."""

from __future__ import annotations

from decimal import Decimal

from billing.models import InvoiceLine, InvoiceState

from . import services


def demo_disputes(staff, active) -> None:
    support, stores = active
    manager = staff["account_manager"]
    # the act the client disputed (the hook would open it after the demo's transaction commits)
    services.disputes_open_for_disputed_acts()
    signatory = stores.client.memberships.get(role="client_signatory").user
    complaint = services.dispute_open(
        actor=signatory, contract=stores, kind="complaint", title="Cameras in store 4 offline for a week",
        description="Store 4 had no video surveillance from the 3rd to the 10th; we ask for a fee reduction.",
        claimed_amount=Decimal("20000.00"), via="portal")
    services.dispute_comment(dispute=complaint, actor=manager,
                             body="The recorder was replaced on the 10th; we are checking the logs.")
    services.dispute_escalate(dispute=complaint, actor=signatory, note="No proposal within a week.", via="portal")
    line = (InvoiceLine.objects.filter(invoice__contract=stores, invoice__state=InvoiceState.ISSUED)
            .order_by("position").first())
    if line is not None:
        dispute = services.dispute_open(
            actor=signatory, contract=stores, kind="invoice_line", invoice_line=line,
            title="Fee charged for days without service", claimed_amount=Decimal("8000.00"), via="portal")
        services.dispute_resolve(dispute=dispute, actor=manager, compensation=Decimal("5000.00"),
                                 note="Agreed at the call: 5,000 off, credited on the next invoice.")
