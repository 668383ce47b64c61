"""Server-side prepared statements for the hot lists' statements compiled once (`tenancy.api_rows`).

PostgreSQL plans every statement it is sent. The lists' statements are small to run (an index range
of 50 rows) but not to plan: ten related names as subqueries and the row-level-security policy of
every table they touch take ~0.3 ms to plan, as long as the first segment takes to run and longer
than the second. A statement the process has compiled once is therefore also prepared once on each
database connection (`PREPARE … AS`, with `$n` for the ORM's `%s`), and run as `EXECUTE name(…)`
with the same parameters, which PostgreSQL plans again only when it finds a generic plan worse than
a custom one (its `plan_cache_mode`).

Safe with row-level security: the policies are part of the prepared statement and read the
transaction's `app.tenant_id` when it runs (`EXECUTE` is one of the verbs `tenancy.rls` prefixes with
the settings). A prepared statement outlives transactions and rollbacks but not its connection: the
names are kept per connection and forgotten when Django opens a new one. A statement PostgreSQL
will not prepare (a parameter whose type it cannot tell) is run as it is from then on. Each
connection keeps at most `KEPT` statements, the least recently used deallocated first.

Only on PostgreSQL, and only where the setting `DATABASE_PREPARED_STATEMENTS` (default on) allows;
everywhere else `execute` is the cursor's own.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from itertools import count

from django.conf import settings

KEPT = 100
_PLACEHOLDER = re.compile(r"%[%s]")
_names = count(1)


def _numbered(sql: str) -> tuple[str, int]:
    """The ORM's SQL with `$1, $2…` for its `%s` placeholders and `%` for `%%`, and how many there were."""
    seen = 0

    def replace(match: re.Match) -> str:
        nonlocal seen
        if match.group() == "%%":
            return "%"
        seen += 1
        return f"${seen}"

    return _PLACEHOLDER.sub(replace, sql), seen


class _Kept:
    """One connection's prepared statements: SQL text → name (None: PostgreSQL would not prepare it)."""

    def __init__(self, raw):
        self.raw = raw
        self.names: OrderedDict[str, str | None] = OrderedDict()


def _kept(connection) -> _Kept:
    kept = getattr(connection, "_prepared_statements", None)
    if kept is None or kept.raw is not connection.connection:  # a new connection knows none of them
        kept = _Kept(connection.connection)
        connection._prepared_statements = kept
    return kept


def enabled(connection) -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "DATABASE_PREPARED_STATEMENTS", True)


def _prepare(connection, cursor, kept: _Kept, sql: str, params) -> str | None:
    """PREPARE `sql` on the connection: its name, or None when PostgreSQL will not. Sent on the
    driver's own cursor, as bookkeeping rather than a query of the request (the query counts and
    the debug toolbar see the `EXECUTE` only)."""
    import psycopg2

    body, placeholders = _numbered(sql)
    if placeholders != len(params):
        kept.names[sql] = None
        return None
    name = f"list_{next(_names)}"
    raw = cursor.cursor
    # a failed PREPARE would end the transaction around it: inside one, a savepoint around it
    guarded = not connection.get_autocommit() or connection.in_atomic_block
    try:
        if guarded:
            raw.execute("SAVEPOINT prepared_statement")
        raw.execute(f"PREPARE {name} AS {body}")
        if guarded:
            raw.execute("RELEASE SAVEPOINT prepared_statement")
    except psycopg2.Error:
        if guarded:
            raw.execute("ROLLBACK TO SAVEPOINT prepared_statement")
            raw.execute("RELEASE SAVEPOINT prepared_statement")
        kept.names[sql] = None
        return None
    kept.names[sql] = name
    while len(kept.names) > KEPT:
        _old_sql, old = kept.names.popitem(last=False)
        if old is not None:
            raw.execute(f"DEALLOCATE {old}")
    return name


def execute(connection, cursor, sql: str, params) -> None:
    """`cursor.execute(sql, params)`, as a statement prepared once on this connection where it can be."""
    params = tuple(params or ())
    if not enabled(connection):
        cursor.execute(sql, params)
        return
    kept = _kept(connection)
    if sql in kept.names:
        name = kept.names[sql]
        kept.names.move_to_end(sql)
    else:
        name = _prepare(connection, cursor, kept, sql, params)
    if name is None:
        cursor.execute(sql, params)
    elif params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")
