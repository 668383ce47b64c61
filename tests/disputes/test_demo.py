"""The demo data holds disputes in every demo tenant, so that the pages are crawled with content."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from disputes.models import OPEN_STATES, Dispute
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tests.test_project import mid_month  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db


def test_every_demo_tenant_has_an_open_dispute_and_a_resolved_one(settings, tmp_path, mid_month):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo_data", "--quiet-logins")
    tenants = list(Tenant.objects.all())
    assert len(tenants) >= 2
    for tenant in tenants:
        with tenant_context(tenant):
            assert Dispute.objects.filter(state__in=OPEN_STATES, kind="act").count() == 1
            assert Dispute.objects.filter(state="mediation", kind="complaint").exists()
            assert Dispute.objects.filter(state="resolved", compensation__gt=0).exists()
