"""Demo amendments (called by `manage.py demo_data` for each demo tenant, inside its tenant): a fee
change the provider proposed for next month, waiting for the client's signatory; the client's
longer acceptance time agreed and applied today (a second version); a rejected proposal; and
automatic renewal switched on for one contract."""

from __future__ import annotations

from decimal import Decimal

from tenancy.errors import DomainError

from ..models import Contract
from ..obligations.rules import add_months
from . import services


def demo_amendments(staff, active) -> None:
    support, stores = active[0], active[1]
    manager = staff["account_manager"]
    today = support.tenant.today()
    first_of_next_month = add_months(today.replace(day=1), 1)
    services.amendment_propose(
        contract=support, actor=manager, effective_date=first_of_next_month,
        reason="Two more offices join the support scope.", changes={"monthly_fee": str(
            (support.monthly_fee * Decimal("1.10")).quantize(Decimal("0.01")))})
    signatory = stores.client.memberships.get(role="client_signatory").user
    try:
        longer = services.amendment_propose(
            contract=stores, actor=signatory, effective_date=today, via="portal",
            reason="Our accounts department needs more time to check acts.", changes={"acceptance_days": 10})
        services.amendment_agree(amendment=longer, actor=manager, note="Agreed at the monthly meeting.")
    except DomainError:
        pass  # today's period is already invoiced on this demo: no change from today
    rejected = services.amendment_propose(
        contract=stores, actor=manager, effective_date=first_of_next_month,
        reason="Penalty cap in line with the new price list.", changes={"penalty_cap_pct": "10.00"})
    services.amendment_reject(amendment=rejected, actor=signatory, note="We keep the cap at 15 %.", via="portal")
    Contract.objects.filter(pk=stores.pk).update(auto_renew=True, renewal_term_months=12)
