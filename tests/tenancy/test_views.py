"""Browser pages of tenancy: logging in, choosing the organisation, the language, and API keys."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from tenancy.middleware import SESSION_KEY
from tenancy.models import ApiKey
from tenancy.services import api_key_create
from tests.factories import ContractFactory, MembershipFactory, TenantFactory, UserFactory
from tests.support import signed_in

pytestmark = pytest.mark.django_db


# --- logging in -------------------------------------------------------------------------------

def test_login_page_logs_a_member_in_and_opens_the_dashboard(client, world_a, password):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()

    response = client.post(reverse("login"), {"username": world_a.account_manager.username, "password": password},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == world_a.account_manager
    assert "Tenant A" in response.content.decode()


def test_a_wrong_password_is_a_form_error_and_logs_nobody_in(client, world_a):
    response = client.post(reverse("login"), {"username": world_a.account_manager.username, "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "Please enter a correct username and password." in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_a_user_with_no_membership_gets_a_friendly_403(client, db):
    response = signed_in(client, UserFactory()).get(reverse("home"))
    assert response.status_code == 403
    assert "You have no access to any organisation" in response.content.decode()


# --- choosing the organisation ----------------------------------------------------------------

@pytest.fixture
def consultant(world_a, world_b):
    """An account manager in both tenants."""
    user = UserFactory(username="consultant")
    MembershipFactory(tenant=world_a.tenant, user=user, role="account_manager")
    MembershipFactory(tenant=world_b.tenant, user=user, role="account_manager")
    return user


def test_switching_tenant_shows_only_that_tenants_data(client, world_a, world_b, consultant):
    contract_a = ContractFactory(tenant=world_a.tenant, client=world_a.client, number="A-001")
    contract_b = ContractFactory(tenant=world_b.tenant, client=world_b.client, number="B-001")
    signed_in(client, consultant)

    listing = client.get(reverse("contracts:contract-list"))
    assert [c.pk for c in listing.context["page"]] == [contract_a.pk]  # the first tenant by name
    assert 'id="tenant-switch"' in listing.content.decode()

    response = client.post(reverse("tenancy:tenant-switch"), {"tenant": world_b.tenant.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "You are now working in Tenant B." in response.content.decode()
    assert client.session[SESSION_KEY] == world_b.tenant.pk

    listing = client.get(reverse("contracts:contract-list"))
    assert [c.pk for c in listing.context["page"]] == [contract_b.pk]
    assert "A-001" not in listing.content.decode()
    # tenant A's contract is now "not found", like any other tenant's
    assert client.get(reverse("contracts:contract-detail", args=[contract_a.pk])).status_code == 404
    assert client.get(reverse("contracts:contract-detail", args=[contract_b.pk])).status_code == 200


def test_switching_to_a_tenant_the_user_does_not_belong_to_is_a_400(client, world_a, consultant):
    stranger = TenantFactory(name="Tenant C")
    signed_in(client, consultant)
    client.get(reverse("home"))
    response = client.post(reverse("tenancy:tenant-switch"), {"tenant": stranger.pk})
    assert response.status_code == 400
    assert "tenant" in response.context["form"].errors
    assert client.session[SESSION_KEY] == world_a.tenant.pk


def test_the_switch_page_lists_only_the_users_organisations(client, world_a, world_b):
    signed_in(client, world_a.engineer)
    page = client.get(reverse("tenancy:tenant-switch"))
    assert page.status_code == 200
    assert "Tenant A" in page.content.decode() and "Tenant B" not in page.content.decode()
    assert client.post(reverse("tenancy:tenant-switch"), {"tenant": world_b.tenant.pk}).status_code == 400


# --- language ---------------------------------------------------------------------------------

def test_choosing_russian_renders_the_pages_in_russian(client, world_a):
    signed_in(client, world_a.account_manager)
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()
    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("home")})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="ru">' in page
    assert '<option value="ru" selected>' in page


# --- API keys ---------------------------------------------------------------------------------

def test_admin_creates_a_key_that_is_shown_once_and_stored_hashed(client, world_a):
    signed_in(client, world_a.admin)
    assert client.get(reverse("tenancy:api-keys")).status_code == 200
    posted = client.post(reverse("tenancy:api-keys"), {"name": "1C accounting", "scopes": ["read", "write"]})
    assert posted.status_code == 302 and posted["Location"] == reverse("tenancy:api-key-created")
    response = client.get(posted["Location"])
    assert response.status_code == 200
    raw_key = response.context["raw_key"]
    assert raw_key in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")

    with world_a.context():
        key = ApiKey.objects.get(name="1C accounting")
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in {key.name, key.prefix, key.key_hash}
    assert key.scopes == ["read", "write"] and key.created_by == world_a.admin
    # reloading the page neither shows the key again nor creates a second one
    again = client.get(reverse("tenancy:api-key-created"))
    assert again.status_code == 302 and raw_key not in client.get(again["Location"]).content.decode()
    with world_a.context():
        assert ApiKey.objects.filter(name="1C accounting").count() == 1
    assert raw_key not in str(dict(client.session))
    # the list shows the prefix, never the key again
    listing = client.get(reverse("tenancy:api-keys")).content.decode()
    assert key.prefix in listing and raw_key not in listing


def test_a_key_without_scopes_is_a_400_and_nothing_is_created(client, world_a):
    signed_in(client, world_a.admin)
    response = client.post(reverse("tenancy:api-keys"), {"name": "No scopes"})
    assert response.status_code == 400
    assert "scopes" in response.context["form"].errors
    with world_a.context():
        assert not ApiKey.objects.exists()


def test_admin_revokes_a_key(client, world_a):
    with world_a.context(user=world_a.admin):
        key, _raw = api_key_create(actor=world_a.admin, name="CRM", scopes=["read"])
    signed_in(client, world_a.admin)
    response = client.post(reverse("tenancy:api-key-revoke", args=[key.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("tenancy:api-keys")
    assert "The key “CRM” is revoked" in response.content.decode()
    with world_a.context():
        key.refresh_from_db()
    assert key.revoked_at is not None and not key.is_usable


@pytest.mark.parametrize("role", ["account_manager", "engineer", "accountant"])
def test_only_a_tenant_admin_may_manage_keys(client, world_a, role):
    with world_a.context(user=world_a.admin):
        key, _raw = api_key_create(actor=world_a.admin, name="CRM", scopes=["read"])
    signed_in(client, getattr(world_a, role))
    assert client.get(reverse("tenancy:api-keys")).status_code == 403
    assert client.post(reverse("tenancy:api-keys"), {"name": "Mine", "scopes": ["read"]}).status_code == 403
    assert client.post(reverse("tenancy:api-key-revoke", args=[key.pk])).status_code == 403
    with world_a.context():
        key.refresh_from_db()
        assert ApiKey.objects.count() == 1
    assert key.revoked_at is None


def test_a_client_user_is_sent_to_the_portal_from_the_keys_page(client, world_a):
    response = signed_in(client, world_a.client_admin).get(reverse("tenancy:api-keys"))
    assert response.status_code == 302 and response["Location"] == reverse("portal")


def test_another_tenants_key_cannot_be_revoked(client, world_a, world_b):
    with world_b.context(user=world_b.admin):
        theirs, _raw = api_key_create(actor=world_b.admin, name="Their CRM", scopes=["read"])
    signed_in(client, world_a.admin)
    assert client.post(reverse("tenancy:api-key-revoke", args=[theirs.pk])).status_code == 404
    assert "Their CRM" not in client.get(reverse("tenancy:api-keys")).content.decode()
    with world_b.context():
        theirs.refresh_from_db()
    assert theirs.revoked_at is None
