"""Keys that carry the tenant (tenancy.db_keys): the schema ready to be distributed by tenant_id.

Every foreign key between two tenant tables has a composite (tenant_id, x_id) twin and every
unique index of a tenant table includes tenant_id, read from PostgreSQL's catalog; a reference to
another tenant's row is refused by the database itself; the operation and a migration go back and
forth.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tenancy.db_keys import TenantKeys, constraint_name, tenant_key_offenders
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract
from tests.support import raise_order

pytestmark = [
    pytest.mark.postgres,
    postgres_only("the composite tenant keys exist only on PostgreSQL"),
    pytest.mark.django_db,
]

# the migrations that add the keys, and where each app stood before them
KEY_MIGRATIONS = {
    "tenancy": ("0009_outbound_mail_and_tenant_language", "0010_tenant_keys"),
    "contracts": ("0008_legal_details", "0009_tenant_keys"),
    "sla": ("0005_target_at_most_a_year", "0006_tenant_keys"),
    "orders": ("0004_list_columns", "0005_tenant_keys"),
    "confirmations": ("0003_event_base", "0004_tenant_keys"),
    "billing": ("0003_event_base", "0004_tenant_keys"),
    "reviews": ("0002_event_base", "0003_tenant_keys"),
    "disputes": ("0001_initial", "0002_tenant_keys"),
    "mail": ("0001_inbound_message", "0002_tenant_keys"),
    "webhooks": ("0001_initial", "0002_tenant_keys"),
}


def composite_keys() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype IN ('f', 'u') AND conname SIMILAR TO '%%\\_(tfk|tk|tuk)'"
        )
        return set(cursor.fetchall())


def test_every_key_between_tenant_tables_carries_the_tenant():
    offenders = tenant_key_offenders(connection)
    assert not offenders, (
        "Distributing by tenant_id needs these fixed (end the migration with tenancy.db_keys.TenantKeys(), "
        "or put 'tenant' in the UniqueConstraint):\n  " + "\n  ".join(offenders)
    )
    assert len(composite_keys()) > 60  # the keys are there, not merely an empty catalog


def test_the_catalog_check_lists_a_new_key_without_the_tenant():
    # a table added later the careless way: its key to orders and its unique column lack the tenant
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE zz_careless (id bigserial PRIMARY KEY,"
                " tenant_id bigint NOT NULL REFERENCES tenancy_tenant (id),"
                " order_id bigint REFERENCES orders_order (id), code text UNIQUE)"
            )
            cursor.execute("CREATE TABLE zz_untenanted (id bigserial PRIMARY KEY,"
                           " contract_id bigint REFERENCES contracts_contract (id))")
        offenders = tenant_key_offenders(connection)
        transaction.set_rollback(True)
    assert offenders == [
        "foreign key zz_careless.order_id -> orders_order has no FOREIGN KEY (tenant_id, order_id)",
        "foreign key zz_untenanted.contract_id -> tenant table contracts_contract from a table without tenant_id",
        "unique index zz_careless_code_key on zz_careless does not include tenant_id",
    ]


def test_an_order_cannot_point_at_another_tenants_contract(world_a, world_b):
    order = raise_order(world_a, active_contract(world_a))
    foreign = active_contract(world_b)
    with world_a.context(), pytest.raises(IntegrityError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            # the row stays tenant A's (row-level security lets the UPDATE through); only the key objects
            cursor.execute("UPDATE orders_order SET contract_id = %s WHERE id = %s", [foreign.pk, order.pk])
            assert cursor.rowcount == 1
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the keys are deferred to the commit
    assert "orders_order_tenant_id_contract_id_tfk" in str(refused.value)
    with world_a.context(), transaction.atomic():  # the same tenant's contract is fine
        other = active_contract(world_a, number="SC-SAME")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE orders_order SET contract_id = %s WHERE id = %s", [other.pk, order.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_breach_cannot_be_recorded_under_another_tenant(world_a, world_b):
    # the breach's own tenant and order columns are unchecked copies (for the sweep's speed); the
    # composite key on its clock is what ties the copy to the clock's tenant
    order = raise_order(world_a, active_contract(world_a))
    with world_a.context():
        clock = order.clocks.order_by("id").first()
    assert clock is not None
    with world_b.context(), pytest.raises(IntegrityError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO sla_breach (tenant_id, clock_id, order_id, contract_id, metric, due_at, breached_at,"
                " penalty, waived_reason) VALUES (%s, %s, %s, %s, 'response', now(), now(), 0, '')",
                [world_b.tenant.pk, clock.pk, order.pk, order.contract_id],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert "sla_breach_tenant_id_clock_id_tfk" in str(refused.value)


def test_a_one_to_one_between_tenant_tables_is_unique_with_the_tenant():
    from confirmations.models import Act, Confirmation

    field = Confirmation._meta.get_field("act")
    assert field.one_to_one and field.unique  # to Django (reverse select_related needs it)
    assert "confirmation" in [f.name for f in Act._meta.related_objects if f.one_to_one]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'confirmations_confirmation'::regclass"
            " AND indisunique AND NOT indisprimary"
        )
        # the act's, leading with act_id (the reverse accessor's lookup), and the one the keys reference
        assert sorted(row[0].split(" USING ")[1] for row in cursor.fetchall()) == [
            "btree (act_id, tenant_id)", "btree (tenant_id, id)",
        ]


def test_constraint_names_fit_postgresql():
    long_table = "integrations_accounting_exportedinvoiceline"
    name = constraint_name(long_table, ["tenant_id", "accounting_export_batch_id"], "tfk")
    assert len(name) <= 63 and name.endswith("_tfk")
    assert name == constraint_name(long_table, ["tenant_id", "accounting_export_batch_id"], "tfk")


def test_the_operation_is_idempotent_reversible_and_undoes_only_its_own_keys():
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(executor.loader.graph.leaf_nodes())
    with_keys = composite_keys()

    def run(app, direction):
        with connection.schema_editor(atomic=False) as editor:  # inside the test's transaction
            getattr(TenantKeys(), f"database_{direction}")(app, editor, state, state)

    for app in KEY_MIGRATIONS:
        run(app, "forwards")
    assert composite_keys() == with_keys  # run again, it adds nothing

    run("orders", "backwards")
    left = composite_keys()
    assert not {name for table, name in left if table.startswith("orders_") and name.endswith("_tfk")}
    # the unique key the other apps' keys still reference stays; a target only orders referenced goes
    assert ("orders_order", "orders_order_tenant_id_id_tk") in left
    assert ("orders_team", "orders_team_tenant_id_id_tk") not in left

    for app in KEY_MIGRATIONS:
        run(app, "backwards")
    assert composite_keys() == set()
    for app in reversed(KEY_MIGRATIONS):
        run(app, "forwards")
    assert composite_keys() == with_keys
    assert tenant_key_offenders(connection) == []


@pytest.mark.django_db(transaction=True)
def test_a_key_migration_goes_back_and_forth():
    # one app's whole migration through Django's executor (each migration re-renders the project's
    # models, so all eight take minutes; the operation of every app goes both ways just above)
    executor = MigrationExecutor(connection)
    previous, keys = KEY_MIGRATIONS["sla"]
    with_keys = composite_keys()
    try:
        executor.migrate([("sla", previous)])
        # billing's keys to breaches are still there, and so the unique key they reference
        left = {name for table, name in composite_keys() if table.startswith("sla_")}
        assert left == {"sla_breach_tenant_id_id_tk"}
        with connection.cursor() as cursor:  # the single-column unique of the one-to-one is back
            cursor.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index"
                           " WHERE indrelid = 'sla_breach'::regclass AND indisunique AND NOT indisprimary")
            assert sorted(row[0].split(" USING ")[1] for row in cursor.fetchall()) == [
                "btree (clock_id)", "btree (tenant_id, id)",
            ]
    finally:
        # every migration back, not only sla's: going back also undid the later ones of the apps that
        # depend on sla (orders' clock triggers, its search terms), and the tests after this one need them
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert composite_keys() == with_keys
    assert tenant_key_offenders(connection) == []
