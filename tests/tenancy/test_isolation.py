"""The two walls: the fail-closed manager everywhere, PostgreSQL row-level security underneath."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, connections

from contracts.models import Client, Contract
from tenancy.context import NoTenantSelected, TenantMismatch, cross_tenant, tenant_context
from tenancy.db_router import cross_tenant_alias, separate_connection
from tenancy.rls import tenant_tables
from tests.conftest import requires_postgres
from tests.factories import ClientFactory, ContractFactory

pytestmark = pytest.mark.django_db


def test_query_without_a_tenant_raises_instead_of_returning_every_tenants_rows(world_a):
    ContractFactory(tenant=world_a.tenant)
    with pytest.raises(NoTenantSelected):
        list(Contract.objects.all())


def test_default_manager_returns_only_the_current_tenants_rows(world_a, world_b):
    mine = ContractFactory(tenant=world_a.tenant)
    ContractFactory(tenant=world_b.tenant)
    with world_a.context():
        assert list(Contract.objects.values_list("pk", flat=True)) == [mine.pk]
        assert not Contract.objects.filter(tenant=world_b.tenant).exists()


def test_cross_tenant_escape_sees_every_tenant(world_a, world_b):
    ContractFactory(tenant=world_a.tenant)
    ContractFactory(tenant=world_b.tenant)
    with cross_tenant(reason="test of the escape"):
        assert Contract.objects.count() == 2


def test_saving_a_row_of_another_tenant_is_refused(world_a, world_b):
    client_of_b = ClientFactory(tenant=world_b.tenant)
    client_of_b.name = "taken over"
    with world_a.context(), pytest.raises(TenantMismatch):
        client_of_b.save()


def test_new_rows_take_the_current_tenant(world_a):
    with world_a.context():
        client = Client.objects.create(name="Fresh")
    assert client.tenant_id == world_a.tenant.pk


@requires_postgres
def test_app_role_is_bound_by_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


@requires_postgres
def test_every_tenant_table_forces_row_level_security_with_a_policy():
    tables = [m._meta.db_table for m in tenant_tables()]
    assert len(tables) >= 8
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(%s) "
            "AND c.relrowsecurity AND c.relforcerowsecurity "
            "AND EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname)",
            [tables],
        )
        assert sorted(r[0] for r in cursor.fetchall()) == sorted(tables)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_raw_select_without_the_tenant_setting_returns_nothing(world_a, world_b):
    import psycopg2

    a = ContractFactory(tenant=world_a.tenant)
    ContractFactory(tenant=world_b.tenant)
    # a fresh connection as the application role: no ORM, no manager, no prefix — only the database
    raw = psycopg2.connect(**connection.get_connection_params())
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM contracts_contract")
            assert cursor.fetchone() == (0,)
            cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [str(world_a.tenant.pk)])
            cursor.execute("SELECT id, tenant_id FROM contracts_contract")
            assert cursor.fetchall() == [(a.pk, world_a.tenant.pk)]
    finally:
        raw.close()


@requires_postgres
def test_rls_refuses_to_write_a_row_into_another_tenant(world_a, world_b):
    from django.db import DatabaseError, transaction

    with world_a.context(), pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO contracts_client (tenant_id, name, legal_name, tax_id, email, phone, address,"
                " created_at, is_active) VALUES (%s, 'x', '', '', '', '', '', now(), true)",
                [world_b.tenant.pk],
            )


@requires_postgres
def test_orm_query_that_forgets_the_filter_still_sees_only_its_tenant(world_a, world_b):
    ContractFactory(tenant=world_a.tenant)
    b = ContractFactory(tenant=world_b.tenant)
    with tenant_context(world_a.tenant):
        # the unscoped base manager has no tenant filter; RLS still hides B's row
        assert not Contract._base_manager.filter(pk=b.pk).exists()


# --- the second wall has no escape for the web role (issue 8, item 11) ---------------------------

needs_cross_tenant_role = pytest.mark.skipif(
    "cross_tenant" not in settings.DATABASES,
    reason="set CROSS_TENANT_DATABASE_URL (the cross-tenant role; .ci/run does) to run this",
)


@pytest.fixture
def cross_connection():
    """The real second connection for cross-tenant work (not the tests' shared one), closed after."""
    with separate_connection():
        yield connections["cross_tenant"]
    connections["cross_tenant"].close()


@requires_postgres
def test_no_tenant_policy_has_an_escape():
    tables = [m._meta.db_table for m in tenant_tables()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, qual, with_check FROM pg_policies WHERE tablename = ANY(%s)", [tables])
        policies = cursor.fetchall()
    assert sorted(p[0] for p in policies) == sorted(tables)
    for table, qual, check in policies:
        assert "app.tenant_id" in qual and "app.tenant_id" in check, table
        assert "cross_tenant" not in qual + check, table
        assert " OR " not in check.upper(), table  # writes only ever into the current tenant


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_web_role_sees_no_other_tenant_whatever_it_sets(world_a, world_b):
    import psycopg2

    ContractFactory(tenant=world_a.tenant)
    ContractFactory(tenant=world_b.tenant)
    a, b = world_a.tenant.pk, world_b.tenant.pk
    # what one SQL injection could run: a fresh connection as the application role, no ORM
    raw = psycopg2.connect(**connection.get_connection_params())
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            def tenants_seen(tenant="") -> set[int]:
                cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant)])
                cursor.execute("SELECT DISTINCT tenant_id FROM contracts_contract")
                return {row[0] for row in cursor.fetchall()}

            for name in ("app.cross_tenant", "app.all_tenants", "app.bypass", "app.user_id", "app.role"):
                for value in ("on", "true", "1", "*", "all", str(b)):
                    cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
                    assert tenants_seen() == set(), (name, value)
                    assert tenants_seen(a) == {a}, (name, value)
            cursor.execute("SET app.cross_tenant = 'on'")
            assert tenants_seen(a) == {a}
            for refused in ("SET row_security = off", "SET ROLE contracts_app_cross",
                            f"SET ROLE {settings.DATABASES.get('cross_tenant', {}).get('USER') or 'postgres'}",
                            "SET SESSION AUTHORIZATION postgres", "ALTER ROLE CURRENT_USER BYPASSRLS"):
                with pytest.raises(psycopg2.Error):
                    cursor.execute(refused)
                    cursor.execute("SELECT count(*) FROM contracts_contract")  # row_security=off errors here
                cursor.execute("RESET row_security")
            assert tenants_seen() == set()
            assert tenants_seen(a) == {a}
    finally:
        raw.close()


@requires_postgres
@needs_cross_tenant_role
@pytest.mark.django_db(transaction=True, databases=["default", "cross_tenant"])
def test_cross_tenant_work_runs_as_its_own_role_on_its_own_connection(world_a, world_b, cross_connection):
    ContractFactory(tenant=world_a.tenant)
    ContractFactory(tenant=world_b.tenant)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolname, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        web_role = cursor.fetchone()
    assert web_role[1] is False

    with cross_tenant(reason="test: the second connection"):
        assert cross_tenant_alias() == "cross_tenant"
        assert Contract.objects.count() == 2  # the router sends the ORM there
        with cross_connection.cursor() as cursor:
            cursor.execute("SELECT rolname, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone() == (settings.DATABASES["cross_tenant"]["USER"], True)
            cursor.execute("SELECT pg_has_role(%s, current_user, 'MEMBER')", [web_role[0]])
            assert cursor.fetchone() == (False,)  # the web role can never become it

    with pytest.raises(RuntimeError, match="only inside cross_tenant"), cross_connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contracts_contract")


@requires_postgres
@needs_cross_tenant_role
@pytest.mark.django_db(transaction=True, databases=["default", "cross_tenant"])
def test_the_sweep_breaches_every_tenants_clocks_through_the_cross_tenant_role(world_a, world_b, cross_connection):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from sla.models import Breach, SLAClock
    from sla.services import sla_sweep
    from tests.contracts.api_support import active_contract
    from tests.support import raise_order

    orders = [(world, raise_order(world, active_contract(world))) for world in (world_a, world_b)]
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        result = sla_sweep()

    for world, order in orders:
        with world.context():
            clocks = set(SLAClock.objects.filter(order=order).values_list("pk", flat=True))
            assert clocks and clocks <= set(result.breached)
            assert Breach.objects.filter(order=order).count() == 2


@requires_postgres
@needs_cross_tenant_role
@pytest.mark.django_db(transaction=True, databases=["default", "cross_tenant"])
def test_public_verification_finds_any_tenants_act_through_the_cross_tenant_role(
        world_a, world_b, cross_connection, django_capture_on_commit_callbacks):
    from confirmations.services import Verdict, act_verify
    from tests.confirmations.support import read, sent_act, sign

    capture = django_capture_on_commit_callbacks
    sealed = [(world, read(sign(world, sent_act(world, capture), capture).sealed_pdf)) for world in (world_a, world_b)]

    for world, pdf in sealed:
        verification = act_verify(pdf=pdf)
        assert verification.verdict == Verdict.GENUINE
        assert verification.tenant_name == world.tenant.name


@requires_postgres
def test_cross_tenant_work_without_its_role_is_refused_outside_tests(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delitem(settings.DATABASES, "cross_tenant", raising=False)
    with separate_connection(), pytest.raises(ImproperlyConfigured, match="CROSS_TENANT_DATABASE_URL"):
        with cross_tenant(reason="test: no second role"):
            pass


@requires_postgres
def test_the_migration_takes_the_escape_out_of_existing_policies():
    import importlib

    migration = importlib.import_module("tenancy.migrations.0006_tenant_policies_without_escape")

    def escapes() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_policies WHERE policyname = 'tenant_isolation' "
                           "AND qual LIKE '%%app.cross_tenant%%'")
            return cursor.fetchone()[0]

    with connection.schema_editor() as editor:  # as the policies stood before it (rolled back after the test)
        migration.with_escape(None, editor)
    assert escapes() == len(tenant_tables())
    with connection.schema_editor() as editor:
        migration.without_escape(None, editor)
    assert escapes() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT qual FROM pg_policies WHERE tablename = 'tenancy_membership'")
        assert "app.user_id" in cursor.fetchone()[0]  # a user's own memberships stay readable
