"""Template tags other apps' pages include without importing disputes:

- `{% dispute_badge contract %}` — the contract's open disputes, linked to their list (nothing
  when there are none); for the contract page, in the provider's pages and the portal alike.
- `{% dispute_link act=act %}` / `{% dispute_link invoice=invoice %}` / `{% dispute_link
  contract=contract %}` — "Open a dispute" for the users who may open one (an act that was sent,
  an issued or paid invoice, a contract that has started).

For the contract page (the integrator adds it there): `{% load disputes_tags %}{% dispute_badge
contract %} {% dispute_link contract=contract %}`.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from .. import selectors, services

register = template.Library()


def _membership(context):
    return context.get("current_membership") or getattr(context.get("request"), "membership", None)


@register.inclusion_tag("disputes/_badge.html", takes_context=True)
def dispute_badge(context, contract):
    membership = _membership(context)
    if membership is None or contract is None:
        return {"count": 0}
    client_id = membership.client_id if membership.is_client_side else None
    counts = selectors.contract_dispute_counts(contract_id=contract.pk, client_id=client_id)
    name = "disputes:portal-dispute-list" if membership.is_client_side else "disputes:dispute-list"
    return {"count": counts["open"], "total": counts["total"],
            "url": f"{reverse(name)}?contract={contract.pk}"}


@register.inclusion_tag("disputes/_open_link.html", takes_context=True)
def dispute_link(context, act=None, invoice=None, contract=None):
    membership = _membership(context)
    if membership is None or not services.may_open(context["request"].user, membership.tenant_id):
        return {"url": ""}
    name = "disputes:portal-dispute-create" if membership.is_client_side else "disputes:dispute-create"
    if act is not None and act.state != "draft":
        return {"url": f"{reverse(name)}?act={act.pk}"}
    if invoice is not None and invoice.state in ("issued", "paid"):
        return {"url": f"{reverse(name)}?invoice={invoice.pk}", "line": True}
    if contract is not None and contract.state in services.DISPUTABLE_CONTRACT_STATES:
        return {"url": f"{reverse(name)}?contract={contract.pk}"}
    return {"url": ""}
