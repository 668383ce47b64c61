"""What the benchmarks share: a PostgreSQL database of their own, and their figures in the README."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _admin_connection(base):
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user=base["USER"], host=base["HOST"] or None,
                            port=base["PORT"] or None, password=base["PASSWORD"] or None)
    conn.autocommit = True
    return conn


def cross_tenant_on(bench_db: str) -> None:
    """Cross-tenant work (the sweep, seeding) on the bench database: as the cross-tenant role when
    CROSS_TENANT_DATABASE_URL is set, as in production; else, with one role, on the application's
    connection with the tenant tables' FORCE lifted for each block (tenancy.db_router), which costs
    every cross-tenant block some milliseconds of DDL."""
    cross = os.environ.get("CROSS_TENANT_DATABASE_URL")
    if cross:
        os.environ["CROSS_TENANT_DATABASE_URL"] = cross.rsplit("/", 1)[0] + "/" + bench_db
    else:
        print("CROSS_TENANT_DATABASE_URL is not set: cross-tenant work shares the application's role",
              file=sys.stderr)
        os.environ["CROSS_TENANT_SHARED_CONNECTION"] = "1"


def recreate_database(base, name: str) -> None:
    """An empty database `name` on the server of `base` (a dj_database_url dict)."""
    conn = _admin_connection(base)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(base, name: str) -> None:
    import psycopg2

    conn = _admin_connection(base)
    with conn.cursor() as cursor:
        try:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except psycopg2.errors.ObjectInUse:  # a worker's connection outlived it
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def write_readme(marker: str, table: str) -> None:
    """Replace the figures between the README's `<!-- bench:marker -->` markers with this run's."""
    start_mark, end_mark = f"<!-- bench:{marker} -->", f"<!-- /bench:{marker} -->"
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        print(f"README.md has no {marker} bench markers; figures not written there", file=sys.stderr)
        return
    readme.write_text(text[: start + len(start_mark)] + "\n" + table + "\n" + text[end:], encoding="utf-8")
