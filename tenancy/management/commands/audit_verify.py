"""`manage.py audit_verify [--tenant SLUG]`: check every organisation's audit chain (or one).

Links nothing. Prints OK or the first broken link per organisation; exits 0 when every chain is
whole, 1 when one is broken, 2 for a bad argument (an unknown organisation).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from tenancy.chain import chain_verify
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Verify the tamper-evident audit chain of every organisation (or one); exit 1 if one is broken."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="only this organisation (its slug)")

    def handle(self, *args, **options):
        tenants = Tenant.objects.order_by("slug")
        if options["tenant"] is not None:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No organisation with the slug “{options['tenant']}”.", returncode=2)
        broken = 0
        for tenant in tenants:
            report = chain_verify(tenant.pk)
            counts = f"{report.checked} links checked, {report.unlinked} not linked yet"
            if report.ok:
                self.stdout.write(f"{tenant.slug}: OK ({counts})")
            else:
                broken += 1
                link = report.broken
                self.stdout.write(self.style.ERROR(
                    f"{tenant.slug}: BROKEN at link {link.seq}: {link.reason}"
                    + (f" ({link.table} #{link.row_id})" if link.table else "") + f" ({counts})"))
        if broken:
            sys.exit(1)
