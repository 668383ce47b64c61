"""Shared fixtures: two tenants, always, with a user for every role in each.

In CI (CI=true) the suite refuses to run unless DATABASE_URL points at PostgreSQL and REDIS_URL
at Redis, and both answer: CI must exercise the real servers, not skip them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from tenancy.context import tenant_context
from tenancy.services import api_key_create

from .clock import frozen_start
from .factories import (
    PASSWORD,
    ClientFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
    own_provider,
)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_configure(config):
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL does not point at PostgreSQL")
    elif not _reachable(database_url, 5432):
        problems.append(f"PostgreSQL at {database_url} is unreachable")
    if not redis_url:
        problems.append("REDIS_URL is not set")
    elif not _reachable(redis_url, 6379):
        problems.append(f"Redis at {redis_url} is unreachable")
    if problems:
        pytest.exit("CI needs the real servers: " + "; ".join(problems), returncode=3)


def postgres_only(reason: str):
    """Skip on SQLite, saying why; CI always runs these (it refuses to start without PostgreSQL)."""
    return pytest.mark.skipif(not settings.USES_POSTGRES, reason=f"{reason}; set DATABASE_URL to run this")


requires_postgres = postgres_only("row-level security exists only on PostgreSQL")


@dataclass
class TenantWorld:
    """One provider tenant with a user in every role and one client."""

    tenant: object
    own_provider: object
    client: object
    admin: object
    account_manager: object
    engineer: object
    accountant: object
    client_admin: object
    client_signatory: object
    client_viewer: object

    def context(self, user=None):
        return tenant_context(self.tenant, user=user)


def build_world(label: str) -> TenantWorld:
    tenant = TenantFactory(name=f"Tenant {label}", slug=f"tenant-{label.lower()}")
    client = ClientFactory(tenant=tenant, name=f"Client of {label}")
    users = {}
    for role in ("admin", "account_manager", "engineer", "accountant"):
        users[role] = UserFactory(username=f"{label.lower()}_{role}")
        MembershipFactory(tenant=tenant, user=users[role], role=role)
    for role in ("client_admin", "client_signatory", "client_viewer"):
        users[role] = UserFactory(username=f"{label.lower()}_{role}")
        MembershipFactory(tenant=tenant, user=users[role], role=role, client=client)
    return TenantWorld(tenant=tenant, own_provider=own_provider(tenant), client=client, **users)


@pytest.fixture
def world_a(db) -> TenantWorld:
    return build_world("A")


@pytest.fixture
def world_b(db) -> TenantWorld:
    return build_world("B")


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def api_key_for():
    """api_key_for(world, user=None, scopes=("read", "write")) -> raw key of that tenant."""

    def make(world: TenantWorld, user=None, scopes=("read", "write")) -> str:
        user = user or world.admin
        from tenancy.models import ApiKey

        with world.context(user=user):
            key, raw = api_key_create(actor=world.admin, name=f"key for {user.username}", scopes=list(scopes))
            if user != world.admin:
                ApiKey.objects.filter(pk=key.pk).update(created_by=user)
        return raw

    return make


@pytest.fixture
def api_as(api_key_for):
    """api_as(world, user=None, scopes=...) -> an APIClient sending that tenant's Bearer key."""

    def make(world: TenantWorld, user=None, scopes=("read", "write")) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(world, user, scopes)}")
        return client

    return make


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Every test starts at the same instant, `TEST_NOW` (ISO 8601) or the session's start, and its
    clock ticks from there. `.ci/run` moves TEST_NOW to a month's last evening in UTC and to a year
    ahead: a test that builds dates from a literal year or from "today in UTC" fails there."""
    with time_machine.travel(frozen_start(), tick=True):
        yield


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language: a page requested in Russian leaves the thread's
    language active, which would otherwise leak into the next test's formatting."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _rate_limits_of_their_own(settings):
    """Each test counts its requests and failed sign-ins apart from every other test (a namespace
    of its own in the throttle cache, which is Redis under CI and outlives a test), at API limits no
    test reaches by accident; the tests of the limits (tests/integrations/) set them lower."""
    settings.RATE_LIMIT_NAMESPACE = f"test-{uuid.uuid4().hex}"
    settings.RATE_LIMIT_READS_PER_MINUTE = 1_000_000
    settings.RATE_LIMIT_WRITES_PER_MINUTE = 1_000_000


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_runs_tasks_inline(request):
    """Tasks queued after commit run inline in tests, unless a test drives a real worker
    (marked `real_worker`), which then goes through the configured broker."""
    from config.celery import app

    eager = "real_worker" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and at the end no session left on it, so that it can be dropped.

    The browser tests' live server answers in threads that may still hold a keep-alive socket, and
    with it a database connection, when the session ends; on PostgreSQL those would block
    dropping the test database. The application role may end its own sessions.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
