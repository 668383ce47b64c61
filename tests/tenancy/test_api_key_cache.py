"""The API key's resolution is cached (tenancy.api_auth): no query for it on a repeated request, and
any change to the key, its creator's membership, the creator or the tenant is seen at the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenancy.models import ApiKey, Membership
from tenancy.services import api_key_revoke

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


@pytest.fixture(autouse=True)
def _cached(settings):
    settings.API_KEY_CACHE_IN_PROCESS = True  # the test process is alone: its local cache is the shared one


def bearer(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _key_queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(CLIENTS).status_code == 200
    return sum(1 for q in queries if "tenancy_apikey" in q["sql"] or "tenancy_membership" in q["sql"])


def test_a_repeated_request_resolves_its_key_without_a_query(world_a, api_key_for):
    api = bearer(api_key_for(world_a))
    assert _key_queries(api) >= 2
    assert _key_queries(api) == 0


def test_a_revoked_key_stops_working_at_the_next_request(world_a, api_key_for):
    api = bearer(api_key_for(world_a))
    api.get(CLIENTS)
    assert _key_queries(api) == 0  # cached
    with world_a.context(user=world_a.admin):
        api_key_revoke(actor=world_a.admin, key=ApiKey.objects.get())
    assert api.get(CLIENTS).status_code == 401


def test_a_deactivated_membership_or_user_stops_the_key_at_once(world_a, api_key_for):
    api = bearer(api_key_for(world_a, user=world_a.account_manager))
    assert api.get(CLIENTS).status_code == 200
    with world_a.context():
        membership = Membership.objects.get(user=world_a.account_manager)
        membership.is_active = False
        membership.save()
    assert api.get(CLIENTS).status_code == 401
    with world_a.context():
        membership.is_active = True
        membership.save()
    assert api.get(CLIENTS).status_code == 200
    world_a.account_manager.is_active = False
    world_a.account_manager.save()
    assert api.get(CLIENTS).status_code == 401


def test_a_changed_role_is_used_at_once(world_a, api_key_for):
    api = bearer(api_key_for(world_a, user=world_a.account_manager))
    assert api.post(CLIENTS, {"name": "Allowed"}, format="json").status_code == 201
    with world_a.context():
        membership = Membership.objects.get(user=world_a.account_manager)
        membership.role = "accountant"
        membership.save()
    assert api.post(CLIENTS, {"name": "Refused"}, format="json").status_code == 403


def test_two_tenants_keys_are_cached_apart(world_a, world_b, api_key_for):
    api_a, api_b = bearer(api_key_for(world_a)), bearer(api_key_for(world_b))
    for api in (api_a, api_b, api_a, api_b):
        assert api.get(CLIENTS).status_code == 200
    names_a = {row["name"] for row in api_a.get(CLIENTS).json()["results"]}
    names_b = {row["name"] for row in api_b.get(CLIENTS).json()["results"]}
    assert world_a.client.name in names_a and world_a.client.name not in names_b
    assert world_b.client.name in names_b and world_b.client.name not in names_a
    # revoking tenant B's key leaves tenant A's cached key working
    with world_b.context(user=world_b.admin):
        api_key_revoke(actor=world_b.admin, key=ApiKey.objects.get())
    assert api_b.get(CLIENTS).status_code == 401
    assert _key_queries(api_a) == 0


def test_a_forged_key_is_not_answered_from_another_keys_entry(world_a, world_b, api_key_for):
    raw = api_key_for(world_a)
    assert bearer(raw).get(CLIENTS).status_code == 200
    _, _, secret = raw.split("_", 2)
    assert bearer(f"ck_{world_b.tenant.pk}_{secret}").get(CLIENTS).status_code == 401
    assert bearer(raw + "x").get(CLIENTS).status_code == 401


def test_the_cache_holds_no_password_hash_and_a_save_keeps_the_password(world_a, api_key_for, password):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import caches

    from tenancy.api_auth import _cache_key

    raw = api_key_for(world_a)
    api = bearer(raw)
    api.get(CLIENTS)
    _, key, _ = caches[settings.RATE_LIMIT_CACHE].get(_cache_key("k", ApiKey.hash_key(raw)))
    assert "password" not in key.created_by.__dict__
    key.created_by.first_name = "Renamed"
    key.created_by.save()  # only the fields it holds
    assert get_user_model().objects.get(pk=world_a.admin.pk).check_password(password)
    assert api.get(CLIENTS).status_code == 200
