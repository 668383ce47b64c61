"""Keys that carry the tenant: the schema ready to be distributed by `tenant_id` (Citus).

Between two tenant tables every foreign key has a composite twin and every unique constraint
includes `tenant_id`:

- `FOREIGN KEY (tenant_id, <x>_id) REFERENCES <target> (tenant_id, id) DEFERRABLE INITIALLY DEFERRED`
  beside Django's own single-column key (the ORM relies on that one; it stays). The pair makes a
  reference to another tenant's row impossible in the database itself, whatever the code or a raw
  statement does, and it is what Citus needs to keep a row and the rows it references on the same
  node (co-location). `MATCH SIMPLE`: a NULL `<x>_id` (a `SET_NULL` key) is not checked.
- `UNIQUE (tenant_id, id)` on every tenant table such a key references (the composite key needs
  it; the primary key stays `id`).
- A unique constraint between tenant rows names `tenant` among its fields (last, so that the
  index keeps serving the lookups it served). Citus only accepts a unique constraint of a
  distributed table that includes the distribution column; since the composite key ties
  `tenant_id` to the referenced row's tenant, the wider constraint is as strict as the narrower.
- A `OneToOneField` between tenant tables stays one to Django (`act.confirmation`, reverse
  `select_related`); in the database `TenantKeys` swaps its single-column `UNIQUE (act_id)` for
  `UNIQUE (act_id, tenant_id)` (the same index for lookups by `act_id`). So a later migration
  that takes the uniqueness away from such a field (a one-to-one made a plain foreign key) drops
  `<table>_<column>_tenant_id_tuk` itself, with `RunSQL`, before its `AlterField`.

A migration adds the keys with the operation `TenantKeys()`: it reads the migration state's
models of the migration's own app and, on PostgreSQL only (a no-op on SQLite), adds whatever is
missing — idempotent, deterministic names, reversible (backwards drops the composite keys of the
app's tables, and a target's `UNIQUE (tenant_id, id)` once no composite key references it).
**A migration that adds a foreign key or a one-to-one between tenant tables, or a tenant table with
such keys, ends with `TenantKeys()`**::

    from tenancy.db_keys import TenantKeys

    operations = [
        migrations.AddField("order", "site", models.ForeignKey("contracts.Site", ...)),
        TenantKeys(),
    ]

`tests/tenancy/test_db_keys.py` reads the catalog (`tenant_key_offenders`) and fails listing every
foreign key or unique index that lacks the tenant. This module is the floor app's: it imports no
other app of the project.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.utils import names_digest

TENANT_COLUMN = "tenant_id"
TENANT_MODEL = "tenancy.tenant"

# Tenant tables that keep a unique index without the tenant, and why. Under Citus they are
# reference tables (copied to every node), not distributed ones.
GLOBAL_UNIQUE_TABLES = {
    "tenancy_apikey": "a request finds its API key by hash before it knows the tenant",
}


def constraint_name(table: str, columns: list[str], suffix: str) -> str:
    """A deterministic name of at most 63 bytes (PostgreSQL's limit): table, columns, suffix, and
    a digest when they do not fit."""
    name = f"{table}_{'_'.join(columns)}_{suffix}"
    if len(name) <= 63:
        return name
    digest = names_digest(table, *columns, suffix, length=8)
    return f"{table[:63 - len(suffix) - 11]}_{digest}_{suffix}"


def _is_tenant_model(model) -> bool:
    if model._meta.label_lower == TENANT_MODEL:
        return False
    try:
        field = model._meta.get_field("tenant")
    except Exception:  # noqa: BLE001 — FieldDoesNotExist
        return False
    return getattr(field, "related_model", None) is not None and field.related_model._meta.label_lower == TENANT_MODEL


def _tenant_models(models_):
    for model in models_:
        opts = model._meta
        if not (opts.abstract or opts.proxy or not opts.managed) and _is_tenant_model(model):
            yield model


def tenant_one_to_ones(models_):
    """(table, column) of every one-to-one between two tenant tables among `models_`."""
    return sorted({
        (model._meta.db_table, field.column)
        for model in _tenant_models(models_)
        for field in model._meta.local_fields
        if field.is_relation and field.one_to_one and field.unique and not field.primary_key
        and _is_tenant_model(field.related_model)
    })


def tenant_foreign_keys(models_):
    """(source table, column, target table, target column) of every foreign key between two
    tenant tables among `models_` (auto-created many-to-many tables included when they carry the
    tenant), in a stable order."""
    keys = []
    for model in _tenant_models(models_):
        opts = model._meta
        for field in opts.local_fields:
            if not (field.is_relation and (field.many_to_one or field.one_to_one)) or not field.db_constraint:
                continue
            target = field.related_model
            if not _is_tenant_model(target) or field.column == TENANT_COLUMN:
                continue
            target_field = field.target_field
            keys.append((opts.db_table, field.column, target._meta.db_table, target_field.column))
    return sorted(set(keys))


def _attnums(cursor, table: str, columns: list[str]) -> list[int] | None:
    cursor.execute(
        "SELECT attname, attnum FROM pg_attribute WHERE attrelid = %s::regclass AND NOT attisdropped",
        [table],
    )
    found = dict(cursor.fetchall())
    if any(column not in found for column in columns):
        return None
    return [found[column] for column in columns]


def _has_unique(cursor, table: str, columns: list[str]) -> bool:
    """A non-deferrable, non-partial unique index on exactly these columns (any order)."""
    cursor.execute(
        """
        SELECT count(*) FROM pg_index i
        WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
          AND i.indimmediate
          AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
               WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)) = %s
          AND array_length(i.indkey::int2[], 1) = %s
        """,
        [table, sorted(columns), len(columns)],
    )
    return cursor.fetchone()[0] > 0


def _composite_keys(cursor, table: str, column: str) -> list[tuple[str, str, list[str]]]:
    """(name, referenced table, referenced columns in the key's order) of the foreign keys of
    `table` on (tenant_id, column)."""
    cursor.execute(
        """
        SELECT c.conname, c.confrelid::regclass::text,
               ARRAY(SELECT fa.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.num ORDER BY k.ord),
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND array_length(c.conkey, 1) = 2
        """,
        [table],
    )
    return [
        (name, target, target_columns)
        for name, target, target_columns, columns in cursor.fetchall()
        if columns == [TENANT_COLUMN, column]
    ]


def _single_uniques(cursor, table: str, column: str) -> list[str]:
    """Names of the unique constraints of `table` on `column` alone."""
    cursor.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
        "AND a.attnum = c.conkey[1] WHERE c.contype = 'u' AND c.conrelid = %s::regclass "
        "AND array_length(c.conkey, 1) = 1 AND a.attname = %s",
        [table, column],
    )
    return [row[0] for row in cursor.fetchall()]


def _references_to(cursor, table: str) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass "
        "AND array_length(confkey, 1) = 2",
        [table],
    )
    return cursor.fetchone()[0]


class TenantKeys(migrations.operations.base.Operation):
    """Migration operation: the composite keys of the migration's app (see the module's text).

    No state change; on PostgreSQL only. Safe to run again: what exists is left alone, a composite
    key on (tenant_id, column) that points elsewhere (the field's target changed) is replaced."""

    reversible = True
    reduces_to_sql = False
    elidable = False

    def state_forwards(self, app_label, state):
        pass

    def _models(self, app_label, state):
        return list(state.apps.get_app_config(app_label).get_models(include_auto_created=True))

    def _keys(self, app_label, state):
        return tenant_foreign_keys(self._models(app_label, state))

    def _one_to_ones(self, app_label, state):
        return tenant_one_to_ones(self._models(app_label, state))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for table, column in self._one_to_ones(app_label, to_state):
            with connection.cursor() as cursor:
                has_wide = _has_unique(cursor, table, [column, TENANT_COLUMN])
                narrow = _single_uniques(cursor, table, column)
            if not has_wide:  # first the wider one, so that the rows are never without
                name = constraint_name(table, [column, TENANT_COLUMN], "tuk")
                schema_editor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} "
                    f"UNIQUE ({quote(column)}, {quote(TENANT_COLUMN)})"
                )
            for name in narrow:
                schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for source, column, target, target_column in self._keys(app_label, to_state):
            with connection.cursor() as cursor:
                if not _has_unique(cursor, target, [TENANT_COLUMN, target_column]):
                    name = constraint_name(target, [TENANT_COLUMN, target_column], "tk")
                    schema_editor.execute(
                        f"ALTER TABLE {quote(target)} ADD CONSTRAINT {quote(name)} "
                        f"UNIQUE ({quote(TENANT_COLUMN)}, {quote(target_column)})"
                    )
                existing = _composite_keys(cursor, source, column)
            wanted = [TENANT_COLUMN, target_column]
            if any(t == target and cols == wanted for _, t, cols in existing):
                continue
            for stale, _, _ in existing:
                schema_editor.execute(f"ALTER TABLE {quote(source)} DROP CONSTRAINT {quote(stale)}")
            name = constraint_name(source, [TENANT_COLUMN, column], "tfk")
            # NOT VALID then VALIDATE: the check of existing rows holds a lighter lock than ADD's
            schema_editor.execute(
                f"ALTER TABLE {quote(source)} ADD CONSTRAINT {quote(name)} "
                f"FOREIGN KEY ({quote(TENANT_COLUMN)}, {quote(column)}) "
                f"REFERENCES {quote(target)} ({quote(TENANT_COLUMN)}, {quote(target_column)}) "
                "DEFERRABLE INITIALLY DEFERRED NOT VALID"
            )
            schema_editor.execute(f"ALTER TABLE {quote(source)} VALIDATE CONSTRAINT {quote(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        keys = self._keys(app_label, from_state)
        for source, column, _target, _ in keys:
            name = constraint_name(source, [TENANT_COLUMN, column], "tfk")
            schema_editor.execute(f"ALTER TABLE {quote(source)} DROP CONSTRAINT IF EXISTS {quote(name)}")
        for target, target_column in sorted({(t, c) for _, _, t, c in keys}):
            with connection.cursor() as cursor:
                referenced = _references_to(cursor, target)
            if not referenced:
                name = constraint_name(target, [TENANT_COLUMN, target_column], "tk")
                schema_editor.execute(f"ALTER TABLE {quote(target)} DROP CONSTRAINT IF EXISTS {quote(name)}")
        for table, column in self._one_to_ones(app_label, from_state):
            with connection.cursor() as cursor:
                narrow = _single_uniques(cursor, table, column)
            if not narrow:  # Django's own, under the name PostgreSQL gives an inline UNIQUE
                name = constraint_name(table, [column], "key")
                schema_editor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} UNIQUE ({quote(column)})")
            wide = constraint_name(table, [column, TENANT_COLUMN], "tuk")
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT IF EXISTS {quote(wide)}")

    def describe(self):
        return "Composite (tenant_id, …) keys between the app's tenant tables"

    @property
    def migration_name_fragment(self):
        return "tenant_keys"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})


_OFFENDERS_SQL = """
WITH tenant_tables AS (
    SELECT a.attrelid AS rel, a.attnum AS tenant_attnum
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE a.attname = 'tenant_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
      AND c.relnamespace = current_schema()::regnamespace
),
fks AS (
    SELECT c.oid, c.conname, c.conrelid, c.confrelid, c.conkey, c.confkey FROM pg_constraint c
    WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
)
SELECT 'foreign key ' || f.conrelid::regclass || '.' || a.attname || ' -> ' || f.confrelid::regclass
       || ' has no FOREIGN KEY (tenant_id, ' || a.attname || ')'
FROM fks f
JOIN tenant_tables s ON s.rel = f.conrelid
JOIN tenant_tables t ON t.rel = f.confrelid
JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = f.conkey[1]
WHERE array_length(f.conkey, 1) = 1 AND f.conkey[1] <> s.tenant_attnum
  AND NOT EXISTS (
      SELECT 1 FROM fks g
      WHERE g.conrelid = f.conrelid AND g.confrelid = f.confrelid
        AND g.conkey = ARRAY[s.tenant_attnum, f.conkey[1]]::int2[]
        AND g.confkey = ARRAY[t.tenant_attnum, f.confkey[1]]::int2[]
  )
UNION ALL
SELECT 'foreign key ' || f.conrelid::regclass || '.' || a.attname || ' -> tenant table '
       || f.confrelid::regclass || ' from a table without tenant_id'
FROM fks f
JOIN tenant_tables t ON t.rel = f.confrelid
JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = f.conkey[1]
WHERE NOT EXISTS (SELECT 1 FROM tenant_tables s WHERE s.rel = f.conrelid)
UNION ALL
SELECT 'unique index ' || i.indexrelid::regclass || ' on ' || i.indrelid::regclass
       || ' does not include tenant_id'
FROM pg_index i
JOIN tenant_tables t ON t.rel = i.indrelid
WHERE i.indisunique AND NOT i.indisprimary AND NOT (t.tenant_attnum = ANY(i.indkey))
  AND i.indrelid::regclass::text <> ALL(%s)
ORDER BY 1
"""


def tenant_key_offenders(connection) -> list[str]:
    """Read PostgreSQL's catalog for what would stop distributing by tenant: a foreign key between
    tenant tables (those with a `tenant_id` column) with no composite twin, a foreign key from a
    table without the tenant to a tenant table, a unique index of a tenant table without
    `tenant_id` (the primary key and `GLOBAL_UNIQUE_TABLES` aside). Empty when all is well."""
    with connection.cursor() as cursor:
        cursor.execute(_OFFENDERS_SQL, [sorted(GLOBAL_UNIQUE_TABLES)])
        return [row[0] for row in cursor.fetchall()]
