"""manage.py rotate_seal_keys: re-encrypt every tenant's seal private keys under the newest key of
SEAL_KEYS. Put the new secret first in SEAL_KEYS (keeping the old one after it), deploy, run this,
then drop the old secret. Exits non-zero, changing nothing, when some key cannot be decrypted."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from confirmations import seal_keys
from confirmations.services import seal_keys_rotate
from tenancy.context import tenant_context
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Re-encrypt every tenant's seal private keys under the newest key in SEAL_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Change nothing; exit 1 if any key is not under the newest key or cannot be read.")

    def handle(self, *args, check: bool = False, **options):
        try:
            newest = seal_keys.newest_key_id()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        tenants = list(Tenant.objects.order_by("pk"))
        # first a dry run over every tenant: refuse before changing anything if a key is lost
        unreadable, pending, current = [], 0, 0
        for tenant in tenants:
            with tenant_context(tenant):
                report = seal_keys_rotate(dry_run=True)
            unreadable += [f"{tenant.slug} (certificate {fingerprint[:16]}…)" for fingerprint in report.unreadable]
            pending += report.rotated
            current += report.current
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} seal key(s) cannot be decrypted with any key in SEAL_KEYS: "
                f"{', '.join(unreadable)}. Add the secret they were encrypted with to SEAL_KEYS (after the "
                f"newest) and run this again. Nothing was changed.")
        if check:
            if pending:
                raise CommandError(f"{pending} seal key(s) are not under the newest key {newest}; "
                                   f"run manage.py rotate_seal_keys.")
            self.stdout.write(f"All {current} seal key(s) are under the newest key {newest}.")
            return
        rotated = 0
        for tenant in tenants:
            with tenant_context(tenant):
                report = seal_keys_rotate()
            if report.unreadable:  # a key removed between the dry run and now
                raise CommandError(f"Tenant {tenant.slug}: {len(report.unreadable)} seal key(s) can no longer be "
                                   f"decrypted; its keys were left as they were. Re-encrypted so far: {rotated}.")
            rotated += report.rotated
        self.stdout.write(self.style.SUCCESS(
            f"Re-encrypted {rotated} seal key(s) under key {newest}; {current} already were."))
