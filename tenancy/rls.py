"""PostgreSQL row-level security: the second wall behind the scoped manager.

Every tenant table gets `ENABLE` + `FORCE ROW LEVEL SECURITY` (so the owning, non-superuser
application role is bound too) and a policy that lets a row through only when its `tenant_id`
equals the transaction's `app.tenant_id` setting. There is no escape in the policy: cross-tenant
work (`cross_tenant()`) runs on a connection of its own, as a role with BYPASSRLS
(tenancy.db_router), so nothing the web role's statements set can open every tenant's rows.
The settings are applied per statement by `install_rls_settings` as `set_config(..., true)`
(transaction-local), so a pooled connection never carries one tenant's setting into another
transaction. On SQLite all of this is a no-op and only the first wall stands.
"""

from __future__ import annotations

from django.db import migrations

from .context import current_tenant_id, current_user_id

TENANT_CLAUSE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"
USER_CLAUSE = "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint"

_SCOPED_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "EXECUTE")  # EXECUTE: a prepared statement


def settings_prefix() -> str:
    """The statement that applies the current tenant and user to this transaction."""
    tenant_id = current_tenant_id()
    user_id = current_user_id()
    tenant = "" if tenant_id is None else str(int(tenant_id))
    user = "" if user_id is None else str(int(user_id))
    return (
        f"SELECT set_config('app.tenant_id', '{tenant}', true), "
        f"set_config('app.user_id', '{user}', true); "
    )


def rls_execute_wrapper(execute, sql, params, many, context):
    """Prefix each data statement with the settings; both run in one (implicit) transaction."""
    # a compound query (UNION, INTERSECT) may start with its first part's parenthesis
    if isinstance(sql, str) and sql.lstrip().lstrip("(").lstrip()[:7].upper().startswith(_SCOPED_VERBS):
        sql = settings_prefix() + sql
    return execute(sql, params, many, context)


def install_rls_settings(sender, connection, **kwargs) -> None:
    """connection_created receiver: hook the wrapper into every PostgreSQL connection, and the
    guard into the cross-tenant one (nothing runs on it outside `cross_tenant()`)."""
    if connection.vendor != "postgresql":
        return
    from .db_router import CROSS_TENANT_ALIAS, guard_cross_tenant_connection

    if connection.alias == CROSS_TENANT_ALIAS and guard_cross_tenant_connection not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, guard_cross_tenant_connection)
    if rls_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(rls_execute_wrapper)


def replace_tenant_policies(schema_editor, *, tenant_clause: str, user_clause: str) -> None:
    """Drop and create again every `tenant_isolation` policy of the current schema with the given
    clauses (the policy of a table that also lets a user's own rows through keeps that part)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, qual FROM pg_policies "
            "WHERE schemaname = current_schema() AND policyname = 'tenant_isolation' ORDER BY tablename"
        )
        policies = cursor.fetchall()
    for table, qual in policies:
        using = f"({tenant_clause} OR {user_clause})" if "app.user_id" in (qual or "") else f"({tenant_clause})"
        name = schema_editor.quote_name(table)
        schema_editor.execute(f"DROP POLICY tenant_isolation ON {name}")
        schema_editor.execute(
            f"CREATE POLICY tenant_isolation ON {name} USING {using} WITH CHECK ({tenant_clause})"
        )


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """Migration operation: turn RLS on for one tenant table (no-op off PostgreSQL)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, *, user_clause: bool = False):
        self.model_name = model_name
        self.user_clause = user_clause

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, to_state):
        return to_state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        using = f"({TENANT_CLAUSE})"
        if self.user_clause:
            using = f"({TENANT_CLAUSE} OR {USER_CLAUSE})"
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING {using} WITH CHECK ({TENANT_CLAUSE})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self):
        kwargs = {"user_clause": True} if self.user_clause else {}
        return (self.__class__.__qualname__, [self.model_name], kwargs)


def tenant_tables():
    """Every concrete tenant-owned model (used by tests to prove each has RLS)."""
    from django.apps import apps

    from .models import TenantOwned

    return [
        m for m in apps.get_models() if issubclass(m, TenantOwned) and not m._meta.abstract
    ]
