"""Cross-tenant work on a connection of its own: the second wall has no escape for the web role.

On PostgreSQL the application's role (`DATABASE_URL`) is bound by row-level security with no way
out: its policy lets through only the rows of the tenant in `app.tenant_id`. Work that must see
every tenant — the SLA sweep, public verification of a sealed PDF — runs inside
`tenancy.context.cross_tenant()`, and there this router sends every ORM query to the database alias
`cross_tenant`: a second connection as a role of its own (`CROSS_TENANT_DATABASE_URL`) that has
BYPASSRLS and the application role's table privileges. The web role cannot become that role or set
anything that widens its own policy, so one SQL injection in a page reads one tenant at most, never
every tenant. The connection refuses statements outside `cross_tenant()`.

Raw SQL inside `cross_tenant()` takes its connection from `cross_tenant_connection()`, and a
transaction around cross-tenant writes names the alias: `transaction.atomic(using=...)`.

Where there is no second role:

- SQLite (the embedded default) has no row-level security; everything uses `default`.
- Under pytest (`CROSS_TENANT_SHARED_CONNECTION`, on by default there), a test's rows are
  uncommitted in the test's own transaction, which a second connection cannot see. Cross-tenant work
  then runs on the `default` connection and, on PostgreSQL, lifts `FORCE ROW LEVEL SECURITY` of the
  tenant tables for the block inside a savepoint (their owner, the application role, then passes
  the policies; the savepoint ends with FORCE back on, or rolled back). The policies themselves are
  the production ones. Tests that prove the separation switch to the real second connection with
  `separate_connection()` and `@pytest.mark.django_db(transaction=True, databases=[...])`.
- PostgreSQL without `CROSS_TENANT_DATABASE_URL` outside tests: cross-tenant work raises
  ImproperlyConfigured rather than silently seeing nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .context import is_cross_tenant

CROSS_TENANT_ALIAS = "cross_tenant"

_shared: ContextVar[bool | None] = ContextVar("cross_tenant_shared_connection", default=None)


def _shared_in_tests() -> bool:
    shared = _shared.get()
    return getattr(settings, "CROSS_TENANT_SHARED_CONNECTION", False) if shared is None else shared


def _has_own_connection() -> bool:
    return CROSS_TENANT_ALIAS in settings.DATABASES and not _shared_in_tests()


def cross_tenant_alias() -> str:
    """The database alias of cross-tenant work: the second role's, or `default` where there is none."""
    return CROSS_TENANT_ALIAS if _has_own_connection() else DEFAULT_DB_ALIAS


def cross_tenant_connection():
    """The connection for raw SQL inside `cross_tenant()`."""
    return connections[cross_tenant_alias()]


@contextmanager
def separate_connection() -> Iterator[None]:
    """Tests: cross-tenant work on the real second connection even under pytest."""
    token = _shared.set(False)
    try:
        yield
    finally:
        _shared.reset(token)


class CrossTenantRouter:
    """Inside `cross_tenant()` every query goes to the cross-tenant alias, elsewhere to `default`
    (also for related objects loaded inside the block and used after it)."""

    def db_for_read(self, model, **hints):
        return cross_tenant_alias() if is_cross_tenant() else DEFAULT_DB_ALIAS

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        same_database = {DEFAULT_DB_ALIAS, CROSS_TENANT_ALIAS}
        if obj1._state.db in same_database and obj2._state.db in same_database:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        # one database: migrations run as the application's role, which owns the tables
        return False if db == CROSS_TENANT_ALIAS else None


# --- entering and leaving cross_tenant() -------------------------------------------------------

_LIFT_FORCE = """
DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relforcerowsecurity
             ORDER BY c.oid
    LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END $$
"""
_RESTORE_FORCE = """
DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relrowsecurity
               AND NOT c.relforcerowsecurity
             ORDER BY c.oid
    LOOP
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END $$
"""


@contextmanager
def _policies_lifted_on_default() -> Iterator[None]:
    """Tests' shared connection: the owner passes the policies for this block, in a savepoint."""
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        with connection.cursor() as cursor:
            # a table with deferred foreign-key checks pending cannot be altered: run them now (as
            # Django's own check_constraints does)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(_LIFT_FORCE)
        yield
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
                cursor.execute(_RESTORE_FORCE)


def entering_cross_tenant():
    """What `cross_tenant()` wraps its block in (called before the escape is switched on)."""
    if is_cross_tenant() or connections[DEFAULT_DB_ALIAS].vendor != "postgresql" or _has_own_connection():
        return nullcontext()  # nested (the outer block did it), no RLS, or the router does it all
    if _shared_in_tests():
        return _policies_lifted_on_default()
    raise ImproperlyConfigured(
        "Cross-tenant work on PostgreSQL needs its own role: set CROSS_TENANT_DATABASE_URL (a role with "
        "BYPASSRLS that is a member of the application's role; see the README)."
    )


def guard_cross_tenant_connection(execute, sql, params, many, context):
    """Execute wrapper of the cross-tenant connection: nothing runs on it outside the escape."""
    if not is_cross_tenant():
        raise RuntimeError("The cross-tenant database connection is used only inside cross_tenant().")
    return execute(sql, params, many, context)
