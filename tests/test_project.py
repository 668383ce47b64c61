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


def _demo_snapshot() -> dict:
    """Row counts of what the demo makes, per tenant, to tell that a second run changed nothing."""
    from billing.models import Invoice, InvoiceEvent, InvoiceLine
    from confirmations.models import Act, ActEvent, Confirmation, CorrectiveAction
    from contracts.models import Contract
    from orders.models import Order
    from sla.models import Breach
    from tenancy.context import tenant_context
    from tenancy.models import Tenant

    models = (Contract, Order, Breach, Act, ActEvent, Confirmation, CorrectiveAction, Invoice, InvoiceLine,
              InvoiceEvent)
    from django.contrib.auth import get_user_model

    snapshot = {"users": get_user_model().objects.count()}
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            snapshot[tenant.slug] = {model.__name__: model.objects.count() for model in models}
    return snapshot


@pytest.fixture
def mid_month():
    """The middle of the current month in Moscow (the demo tenants' zone). The demo's late clocks
    come due hours before the load, and a breach counts in its deadline's month: on a month's first
    morning they would (rightly) belong to last month's invoice, not to the draft of this one."""
    import datetime as dt
    import zoneinfo

    import time_machine
    from django.utils import timezone

    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    today = timezone.now().astimezone(moscow).date()
    with time_machine.travel(dt.datetime.combine(today.replace(day=15), dt.time(12), tzinfo=moscow), tick=True):
        yield


@pytest.mark.django_db
def test_demo_data_loads_two_tenants_with_contracts_in_every_state_and_is_idempotent(settings, tmp_path, mid_month):
    from billing.models import Invoice
    from confirmations.models import Act, CorrectiveAction
    from contracts.models import Client, Contract
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo_data", "--quiet-logins")
    first = _demo_snapshot()
    call_command("demo_data", "--quiet-logins")
    assert _demo_snapshot() == first
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

            # acts: every one's PDF is ready (the demo runs the worker's tasks itself)
            acts = {act.state: act for act in Act.objects.select_related("evidence", "confirmation")}
            assert set(acts) == {"signed", "sent", "disputed"}
            assert all(act.pdf_sha256 and act.pdf for act in acts.values())
            signed = acts["signed"]
            assert signed.sealed_sha256 and signed.sealed_pdf
            assert signed.evidence.method == "password" and signed.evidence.ip_address
            assert signed.confirmation.rating == 4
            assert [r.rating for r in signed.confirmation.order_ratings.all()] == [2]
            assert CorrectiveAction.objects.filter(state="open").count() == 1
            assert acts["disputed"].dispute_reason

            # invoices: a draft with the quality line and the breaches' penalties, and an issued one
            draft = Invoice.objects.get(state="draft")
            kinds = list(draft.lines.order_by("position").values_list("kind", flat=True))
            assert kinds[:2] == ["fee", "quality"] and "penalty" in kinds
            assert draft.lines.get(kind="quality").amount > 0  # the contract's own bands pay for a 4
            issued = Invoice.objects.get(state="issued")
            assert issued.number and issued.issue_date
