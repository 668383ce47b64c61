"""The lists' statements prepared once per connection (tenancy.prepared): the same rows as the plain
statement, each tenant's own under row-level security, and never a broken transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from contracts.models import Contract
from tenancy import prepared
from tenancy.api_rows import compiled
from tests.conftest import postgres_only
from tests.factories.contracts import ContractFactory

pytestmark = postgres_only("prepared statements are PostgreSQL's")


@pytest.fixture(autouse=True)
def _contracts(request):
    for name in ("world_a", "world_b"):
        if name in request.fixturenames:
            world = request.getfixturevalue(name)
            for _ in range(2):
                ContractFactory(tenant=world.tenant, client=world.client)


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def _statement():
    return compiled(Contract.objects.order_by("number").values("id", "number", "tenant_id"))


def test_numbered_placeholders():
    assert prepared._numbered("SELECT %s, 'a%%b' WHERE x = %s") == ("SELECT $1, 'a%b' WHERE x = $2", 2)
    assert prepared._numbered("SELECT 1") == ("SELECT 1", 0)


def test_a_statement_is_prepared_once_and_answers_what_the_plain_one_does(world_a):
    with world_a.context():
        statement = _statement()
        plain = statement.run(statement.sql, statement.params, prepared=False)
        before = _prepared_names()
        first = statement.run(statement.sql, statement.params)
        made = _prepared_names() - before
        second = statement.run(statement.sql, statement.params)
    assert plain and first == plain == second
    assert len(made) == 1 and _prepared_names() - before == made  # the second run prepared nothing more


def test_each_tenant_reads_its_own_rows_through_the_same_prepared_statement(world_a, world_b):
    """The policies are part of the prepared statement and read the transaction's tenant when it
    runs: one statement, prepared under tenant A, gives tenant B only B's rows."""
    with world_a.context():
        statement = _statement()
        mine = statement.run(statement.sql, statement.params)
    other_sql = statement.sql  # the same text, with tenant B's id as its parameter
    with world_b.context():
        theirs_statement = _statement()
        assert theirs_statement.sql == other_sql
        theirs = theirs_statement.run(theirs_statement.sql, theirs_statement.params)
        # and the statement A compiled, run under B (its tenant parameter A's): nothing of A's
        crossed = statement.run(statement.sql, statement.params)
    assert mine and {row["tenant_id"] for row in mine} == {world_a.tenant.pk}
    assert theirs and {row["tenant_id"] for row in theirs} == {world_b.tenant.pk}
    assert crossed == []


def test_a_statement_postgresql_will_not_prepare_runs_as_it_is_and_the_transaction_goes_on(world_a):
    with world_a.context(), transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(connection, cursor, "SELECT %s + %s AS total", [1, 2])  # unknown + unknown: no plan
        assert cursor.fetchall() == [(3,)]
        prepared.execute(connection, cursor, "SELECT %s + %s AS total", [2, 2])
        assert cursor.fetchall() == [(4,)]
        assert Contract.objects.count() >= 1  # the transaction is still usable
    assert prepared._kept(connection).names["SELECT %s + %s AS total"] is None


def test_a_new_connection_prepares_again(world_a):
    with world_a.context():
        statement = _statement()
        expected = statement.run(statement.sql, statement.params)
    kept = prepared._kept(connection)
    assert kept.names
    # what a reconnection looks like to the registry: another raw connection than the one it knew
    connection._prepared_statements = prepared._Kept(object())
    before = _prepared_names()
    with world_a.context():
        assert statement.run(statement.sql, statement.params) == expected
    assert prepared._kept(connection) is not kept and len(_prepared_names() - before) == 1


def test_the_least_recently_used_statements_are_deallocated(world_a, monkeypatch):
    monkeypatch.setattr(prepared, "KEPT", 2)
    prepared._kept(connection).names.clear()
    with world_a.context(), connection.cursor() as cursor:
        for limit in (1, 2, 3):
            prepared.execute(connection, cursor, f"SELECT id FROM contracts_contract WHERE tenant_id = %s LIMIT {limit}",  # noqa: S608
                             [world_a.tenant.pk])
            assert len(cursor.fetchall()) <= limit
    names = prepared._kept(connection).names
    assert len(names) == 2 and all(names.values())
    assert set(names.values()) <= _prepared_names()


def test_turned_off_it_runs_the_plain_statement(world_a, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    before = _prepared_names()
    with world_a.context():
        statement = _statement()
        assert statement.run(statement.sql, statement.params)
    assert _prepared_names() == before


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_settings_go_with_execute(world_a):
    """In autocommit each statement is its own transaction: `EXECUTE` is prefixed with the tenant's
    settings as any `SELECT` is, or row-level security would show no row."""
    with world_a.context():
        statement = _statement()
        statement.run(statement.sql, statement.params)
        assert statement.run(statement.sql, statement.params)
