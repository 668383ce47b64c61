"""The two walls: the fail-closed manager everywhere, PostgreSQL row-level security underneath."""

from __future__ import annotations

import pytest
from django.db import connection

from contracts.models import Client, Contract
from tenancy.context import NoTenantSelected, TenantMismatch, cross_tenant, tenant_context
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
