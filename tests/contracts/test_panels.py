"""contracts' pages composed from the apps above it (contracts.panels): the contract page's SLA card
is sla's, registered in its AppConfig, rendered as sla's own tag renders it; the dashboard and the
portal take what their providers give."""

from __future__ import annotations

from django.template import Context, Template

from contracts import panels
from sla.models import SLAPolicy
from tenancy.models import Membership
from tests.contracts.api_support import active_contract


def test_the_contract_page_renders_slas_card_as_slas_tag_does(world_a):
    contract = active_contract(world_a)
    with world_a.context(user=world_a.account_manager):
        SLAPolicy.objects.create(contract=contract, priority="high")
        values = {"contract": contract, "csrf_token": "token",
                  "current_membership": Membership.objects.get(user=world_a.account_manager)}
        by_tag = Template("{% load sla_tags %}{% contract_sla_card contract %}").render(Context(values))
        by_slot = Template('{% load contract_panels %}{% panel_cards "contract-side" contract %}').render(
            Context(values))
    assert by_slot == by_tag
    assert 'id="sla"' in by_slot and 'data-testid="breach-count"' in by_slot


def test_a_pages_context_merges_its_providers_in_order_and_registering_twice_changes_nothing():
    def first(request, **page):
        return {"a": 1, "b": page["x"]}

    def second(request, **page):
        return {"b": 3}

    try:
        panels.register_panel("test-page", first)
        panels.register_panel("test-page", second)
        panels.register_panel("test-page", first)
        assert panels.panel_context("test-page", None, x=2) == {"a": 1, "b": 3}
        assert panels.panel_context("no-such-page", None) == {}
    finally:
        panels._providers.pop("test-page", None)
