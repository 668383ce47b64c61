"""Rate limits: API requests per key (or signed-in user) and tenant, reads and writes apart, with
429 + Retry-After and the RateLimit headers; failed sign-ins per account and per address."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone, translation

from integrations.idempotency.models import TenantRateLimit
from tests.contracts.api_support import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
CONTRACTS = "/api/v1/contracts/"


@pytest.fixture
def limits(settings):
    settings.RATE_LIMIT_READS_PER_MINUTE = 5
    settings.RATE_LIMIT_WRITES_PER_MINUTE = 3
    return settings


@pytest.fixture
def window_start():
    """Requests of a test start at the beginning of a minute, so that none crosses into the next."""
    now = timezone.now()
    start = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        yield start


def write(api):
    # a POST the API refuses (no body) still counts as a write
    return api.post(CONTRACTS, {}, format="json")


def test_the_throttle_counts_in_redis_when_redis_is_configured():
    backend = django_settings.CACHES[django_settings.RATE_LIMIT_CACHE]["BACKEND"]
    expected = "RedisCache" if django_settings.REDIS_URL else "LocMemCache"
    assert backend.endswith(expected)
    cache = caches[django_settings.RATE_LIMIT_CACHE]
    cache.set("probe", 1, 5)
    assert cache.incr("probe") == 2


def test_reads_past_the_limit_are_a_429_with_retry_after_in_the_error_shape(world_a, api_as, limits, window_start):
    api = api_as(world_a)
    remaining = []
    for _ in range(5):
        response = api.get(CLIENTS)
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "5"
        remaining.append(int(response["RateLimit-Remaining"]))
        assert 1 <= int(response["RateLimit-Reset"]) <= 60
    assert remaining == [4, 3, 2, 1, 0]
    refused = api.get(CLIENTS)
    assert_error(refused, 429, code="throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"
    # writes are counted apart: still allowed
    assert write(api).status_code == 400
    # the next minute reads again
    with time_machine.travel(window_start + dt.timedelta(seconds=61)):
        assert api.get(CLIENTS).status_code == 200


def test_writes_have_their_own_limit(world_a, api_as, limits, window_start):
    api = api_as(world_a)
    assert [write(api).status_code for _ in range(4)] == [400, 400, 400, 429]
    response = write(api)
    assert_error(response, 429, code="throttled")
    assert "Retry-After" in response
    assert api.get(CLIENTS).status_code == 200


def test_each_api_key_has_its_own_count(world_a, api_as, limits, window_start):
    first, second = api_as(world_a), api_as(world_a)
    for _ in range(5):
        first.get(CLIENTS)
    assert first.get(CLIENTS).status_code == 429
    assert second.get(CLIENTS).status_code == 200


def test_a_signed_in_user_is_counted_per_user(world_a, client, limits, window_start):
    client.force_login(world_a.account_manager)
    assert [client.get(CLIENTS).status_code for _ in range(6)] == [200] * 5 + [429]
    other = type(client)()
    other.force_login(world_a.admin)
    assert other.get(CLIENTS).status_code == 200


def test_a_tenants_own_limits_apply_to_it_and_not_to_another_tenant(world_a, world_b, api_as, limits, window_start):
    TenantRateLimit.objects.create(tenant=world_a.tenant, reads_per_minute=2, writes_per_minute=None)
    api_a, api_b = api_as(world_a), api_as(world_b)
    assert [api_a.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 429]
    assert api_a.get(CLIENTS)["RateLimit-Limit"] == "2"
    # writes keep the default (3), tenant B keeps both defaults
    assert [write(api_a).status_code for _ in range(4)] == [400, 400, 400, 429]
    assert [api_b.get(CLIENTS).status_code for _ in range(6)] == [200] * 5 + [429]


def test_changing_a_tenants_limits_applies_at_once(world_a, api_as, limits, window_start):
    api = api_as(world_a)
    assert api.get(CLIENTS)["RateLimit-Limit"] == "5"
    row = TenantRateLimit.objects.create(tenant=world_a.tenant, reads_per_minute=100)
    assert api.get(CLIENTS)["RateLimit-Limit"] == "100"
    row.delete()
    assert api.get(CLIENTS)["RateLimit-Limit"] == "5"


def test_a_replayed_answer_counts_and_carries_the_headers(world_a, api_as, limits, window_start):
    api = api_as(world_a)
    for _ in range(2):
        response = api.post(CONTRACTS, {}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response["Idempotent-Replayed"] == "true"
    assert response["RateLimit-Remaining"] == "1"


def test_unauthenticated_requests_are_not_counted_against_anyone(world_a, client, limits):
    for _ in range(7):
        response = client.get(CLIENTS)
        assert response.status_code in (401, 403)
        assert "RateLimit-Limit" not in response


# --- sign-in --------------------------------------------------------------------------------


@pytest.fixture
def login_window(settings):
    """Sign-in tests start at the beginning of a failure window (15 minutes, fixed)."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    start = dt.datetime.fromtimestamp((timezone.now().timestamp() // window + 1) * window, tz=dt.UTC)
    with time_machine.travel(start, tick=True):
        yield start


def sign_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_five_failures_lock_the_account_with_a_clear_message_even_for_the_right_password(
        world_a, client, password, login_window):
    user = world_a.account_manager.username
    for _ in range(5):
        assert "correct username and password" in sign_in(client, user, "wrong").content.decode()
    page = sign_in(client, user, password)
    assert page.status_code == 200
    assert "Too many attempts, try again in 15 minutes." in page.content.decode()
    assert "_auth_user_id" not in client.session
    # another account from another address is not locked
    other = sign_in(client, world_a.engineer.username, password, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 302


def test_the_lock_ends_with_its_window(world_a, client, password, login_window):
    user = world_a.account_manager.username
    for _ in range(5):
        sign_in(client, user, "wrong")
    with time_machine.travel(login_window + dt.timedelta(minutes=14, seconds=30)):
        assert "try again in 1 minute." in sign_in(client, user, password).content.decode()
    with time_machine.travel(login_window + dt.timedelta(minutes=15, seconds=1)):
        assert sign_in(client, user, password).status_code == 302


def test_the_lock_message_in_russian(world_a, client, password, login_window):
    user = world_a.account_manager.username
    for _ in range(5):
        sign_in(client, user, "wrong")
    page = sign_in(client, user, password, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    with translation.override("ru"):
        expected = translation.ngettext("Too many attempts, try again in %(minutes)d minute.",
                                        "Too many attempts, try again in %(minutes)d minutes.", 15) % {"minutes": 15}
        sign_in_label = translation.gettext("Log in")
    assert 'lang="ru"' in page and sign_in_label in page
    assert expected in page


def test_a_success_clears_only_its_own_accounts_failures(world_a, client, password, login_window):
    locked, lucky = world_a.account_manager.username, world_a.engineer.username
    for _ in range(4):
        sign_in(client, locked, "wrong")
    assert sign_in(client, lucky, password).status_code == 302
    client.logout()
    sign_in(client, locked, "wrong")  # the fifth failure: still counted after the other's success
    assert "Too many attempts" in sign_in(client, locked, password).content.decode()


def test_a_success_clears_the_accounts_own_failures(world_a, client, password, login_window):
    user = world_a.account_manager.username
    for _ in range(4):
        sign_in(client, user, "wrong")
    assert sign_in(client, user, password).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, user, "wrong")
    assert sign_in(client, user, password).status_code == 302


def test_one_address_trying_many_accounts_is_locked_but_other_addresses_are_not(world_a, client, password, settings, login_window):
    settings.LOGIN_FAILURES_PER_IP = 6
    for n in range(6):
        sign_in(client, f"guess-{n}", "wrong", REMOTE_ADDR="203.0.113.5")
    page = sign_in(client, world_a.engineer.username, password, REMOTE_ADDR="203.0.113.5")
    assert "Too many attempts" in page.content.decode()
    assert sign_in(client, world_a.engineer.username, password, REMOTE_ADDR="203.0.113.6").status_code == 302


def test_the_admin_sign_in_is_throttled_too(world_a, client, password, login_window):
    staff = UserFactory(username="staffer", is_staff=True)
    for _ in range(5):
        client.post("/admin/login/", {"username": staff.username, "password": "wrong"})
    page = client.post("/admin/login/", {"username": staff.username, "password": password})
    assert "Too many attempts" in page.content.decode()


# --- the admin --------------------------------------------------------------------------------


def test_a_superuser_sets_a_tenants_limits_in_the_admin_in_both_languages(world_a, client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post("/admin/idempotency/tenantratelimit/add/", {
        "tenant": world_a.tenant.pk, "reads_per_minute": "1000", "writes_per_minute": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    row = TenantRateLimit.objects.get(tenant=world_a.tenant)
    assert (row.reads_per_minute, row.writes_per_minute) == (1000, None)
    for language in ("en", "ru"):
        page = client.get(f"/admin/idempotency/tenantratelimit/{row.pk}/change/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        with translation.override(language):
            title, save = str(TenantRateLimit._meta.verbose_name), translation.gettext("Save")
        text = page.content.decode()
        assert f'lang="{language}"' in text and save in text and title.lower() in text.lower()


def test_a_tenant_admin_sees_only_their_tenants_limits_and_cannot_change_them(world_a, world_b, client):
    own = TenantRateLimit.objects.create(tenant=world_a.tenant, reads_per_minute=10)
    theirs = TenantRateLimit.objects.create(tenant=world_b.tenant, reads_per_minute=20)
    world_a.admin.is_staff = True
    world_a.admin.save()
    client.force_login(world_a.admin)
    listing = client.get("/admin/idempotency/tenantratelimit/")
    assert listing.status_code == 200
    assert str(world_a.tenant) in listing.content.decode() and str(world_b.tenant) not in listing.content.decode()
    assert client.get(f"/admin/idempotency/tenantratelimit/{theirs.pk}/change/").status_code == 404
    response = client.post(f"/admin/idempotency/tenantratelimit/{own.pk}/change/", {"reads_per_minute": "99999"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.reads_per_minute == 10


# --- one Redis round trip per API request --------------------------------------------------------

needs_redis = pytest.mark.skipif(not django_settings.REDIS_URL, reason="the throttle counts in Redis only with REDIS_URL")


@pytest.fixture
def redis_commands(monkeypatch):
    """The Redis commands sent (a pipeline or script counts as one round trip each)."""
    import redis

    sent = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    return sent


@needs_redis
def test_on_redis_a_counted_request_is_one_round_trip_once_the_limits_are_cached(
    world_a, api_as, limits, window_start, redis_commands, settings
):
    settings.API_KEY_CACHE_IN_PROCESS = False
    api = api_as(world_a)
    api.get(CLIENTS)  # the first reads the tenant's limits from the database and caches them
    import unittest.mock

    from integrations.idempotency import throttling

    throttling_commands = []
    original = throttling._redis_count

    def spy(*args, **kwargs):
        before = len(redis_commands)
        result = original(*args, **kwargs)
        throttling_commands.append(redis_commands[before:])
        return result


    not_read = unittest.mock.Mock(side_effect=AssertionError("the limits were cached"))
    with unittest.mock.patch.object(throttling, "_redis_count", spy), \
            unittest.mock.patch.object(throttling, "tenant_limits", not_read):
        responses = [api.get(CLIENTS) for _ in range(3)]
    assert [r["RateLimit-Remaining"] for r in responses] == ["3", "2", "1"]
    assert [len(commands) for commands in throttling_commands] == [1, 1, 1]
    assert {commands[0] for commands in throttling_commands} <= {"EVALSHA"}


@needs_redis
def test_on_redis_a_changed_override_applies_to_the_next_request_of_its_tenant_only(
    world_a, world_b, api_as, limits, window_start
):
    api_a, api_b = api_as(world_a), api_as(world_b)
    assert api_a.get(CLIENTS)["RateLimit-Limit"] == "5"
    assert api_b.get(CLIENTS)["RateLimit-Limit"] == "5"
    row = TenantRateLimit.objects.create(tenant=world_a.tenant, reads_per_minute=7)
    assert api_a.get(CLIENTS)["RateLimit-Limit"] == "7"
    assert api_b.get(CLIENTS)["RateLimit-Limit"] == "5"
    row.reads_per_minute = 2
    row.save()
    refused = api_a.get(CLIENTS)  # third read of A in this window, over the new limit of 2
    assert_error(refused, 429, code="throttled")
    assert refused["RateLimit-Limit"] == "2"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert api_b.get(CLIENTS).status_code == 200


@needs_redis
def test_on_redis_requests_reuse_one_client_instead_of_building_one_per_call(world_a, api_as, monkeypatch):
    """config.cache: building a `redis.Redis` fills its table of response callbacks; Django's own
    backend built one for every cache call (two an API request)."""
    import redis

    api = api_as(world_a)
    assert api.get(CLIENTS).status_code == 200
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for _ in range(3):
        assert api.get(CLIENTS).status_code == 200
    assert built == []
    cache = caches[django_settings.RATE_LIMIT_CACHE]
    assert cache._cache.get_client(write=True) is cache._cache.get_client()
