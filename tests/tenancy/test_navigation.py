"""The navigation shows a part of the site to the roles its app declares (tenancy.navigation), and
to no one else: the links follow billing's, the audit trail's, the accounting export's and the
webhooks' role sets, not a copy of them in the templates."""

import pytest
from django.urls import reverse

from billing.services import BILLING_READERS
from integrations.accounting.roles import ACCOUNTING_EXPORTERS
from integrations.webhooks.api import WEBHOOK_MANAGERS
from tenancy.audit_export import AUDIT_READERS
from tenancy.navigation import nav_flags
from tenancy.roles import CLIENT_ROLES, PROVIDER_ROLES
from tests.support import signed_in


@pytest.mark.parametrize("role", sorted(PROVIDER_ROLES | CLIENT_ROLES))
def test_the_flags_are_the_declared_role_sets(role):
    flags = nav_flags(role)
    assert flags["billing"] == (role in BILLING_READERS)
    assert flags["audit"] == (role in AUDIT_READERS)
    assert flags["accounting_export"] == (role in ACCOUNTING_EXPORTERS)
    assert flags["webhooks"] == (role in WEBHOOK_MANAGERS)


@pytest.mark.parametrize(("person", "billing", "audit"), [
    ("admin", True, True), ("account_manager", True, False), ("engineer", False, False),
])
def test_the_main_navigation_links_billing_and_the_audit_trail_by_role(client, world_a, person, billing, audit):
    page = signed_in(client, getattr(world_a, person)).get(reverse("contracts:contract-list")).content.decode()
    assert (f'href="{reverse("billing:desk")}"' in page) is billing
    assert (f'href="{reverse("audit:audit")}"' in page) is audit


@pytest.mark.parametrize(("person", "shown"), [("client_admin", True), ("client_viewer", False)])
def test_the_portal_links_webhooks_for_the_client_administrator_only(client, world_a, person, shown):
    page = signed_in(client, getattr(world_a, person)).get(reverse("portal")).content.decode()
    assert (f'href="{reverse("webhooks:webhook-list")}"' in page) is shown


@pytest.mark.parametrize(("person", "shown"), [("accountant", True), ("account_manager", False)])
def test_the_billing_desk_offers_the_accounting_export_to_its_roles(client, world_a, person, shown):
    page = signed_in(client, getattr(world_a, person)).get(reverse("billing:desk")).content.decode()
    assert ('id="accounting-export"' in page) is shown
