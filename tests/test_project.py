"""The project's own promises: production settings pass Django's deploy check, compose runs the
Makefile's verbs, the demo data loads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_production_mode_passes_the_deploy_check(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": "x7!Lq9#vR2@mZ4$kP8^wN1&bT6*yH3(cJ5)dF0_gS-uE+aM=oI" * 2,
        "ALLOWED_HOSTS": "contracts.example.com",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_compose_services_run_the_makefile_verbs():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    makefile = (ROOT / "Makefile").read_text()
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("web", "worker", "beat", "migrate"):
        command = services[name]["command"]
        assert command[0] == "make"
        assert re.search(rf"^{command[1]}:", makefile, re.M), f"make {command[1]} is not a Makefile target"
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://contracts_app")
        assert env["REDIS_URL"].startswith("redis://")
    assert "gunicorn" in re.search(r"^WEB_CMD\s*=(.*)$", makefile, re.M).group(1)
    init_sql = (ROOT / "docker" / "postgres-init.sql").read_text()
    assert "NOSUPERUSER" in init_sql and "NOBYPASSRLS" in init_sql


@pytest.mark.django_db
def test_demo_data_loads_two_tenants_with_contracts_in_every_state_and_is_idempotent():
    from contracts.models import Client, Contract
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant

    call_command("demo_data", "--quiet-logins")
    call_command("demo_data", "--quiet-logins")
    tenants = list(Tenant.objects.order_by("slug"))
    assert [t.slug for t in tenants] == ["northwind", "volga"]
    for tenant in tenants:
        with tenant_context(tenant):
            assert Client.objects.count() == 3
            states = set(Contract.objects.values_list("state", flat=True))
            assert states == {"draft", "negotiation", "active", "suspended", "terminated", "expired"}
            roles = set(Membership.objects.values_list("role", flat=True))
            assert roles == {"admin", "account_manager", "engineer", "accountant",
                             "client_admin", "client_signatory", "client_viewer"}
