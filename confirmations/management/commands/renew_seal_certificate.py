"""manage.py renew_seal_certificate --tenant SLUG [--tenant SLUG …] | --all: give tenants a new current
seal certificate (and key). Earlier certificates stay, so every seal made with them still verifies."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from confirmations.services import certificate_renew
from tenancy.context import tenant_context
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Issue a new current seal certificate for the given tenants (old seals keep verifying)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", action="append", default=[], metavar="SLUG", help="A tenant's slug.")
        parser.add_argument("--all", action="store_true", help="Every tenant.")

    def handle(self, *args, tenant: list[str], all: bool, **options):  # noqa: A002 — the option's name
        if all == bool(tenant):
            raise CommandError("Name tenants with --tenant SLUG, or give --all.")
        tenants = list(Tenant.objects.order_by("pk") if all else Tenant.objects.filter(slug__in=tenant).order_by("pk"))
        missing = sorted(set(tenant) - {t.slug for t in tenants})
        if missing:
            raise CommandError(f"No tenant with the slug {', '.join(missing)}.")
        for each in tenants:
            with tenant_context(each):
                certificate = certificate_renew()
            self.stdout.write(f"{each.slug}: new seal certificate {certificate.fingerprint[:16]}…, valid until "
                              f"{certificate.not_after:%Y-%m-%d}.")
