"""`manage.py import_data --tenant SLUG [--user USERNAME] [--dry-run] FILE`: import clients,
contracts and contract roles from a CSV or XLSX file (contracts.imports), as the import page does.

Prints the preview (every row, every bad row with its row number, column and reason); exits 0 when
the file is clean (and, without --dry-run, imported), 1 when a row is bad (nothing imported), 2 for
a bad argument or an unreadable file.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from contracts import imports
from tenancy.context import tenant_context
from tenancy.errors import DomainError
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Import clients, contracts and contract roles from a CSV or XLSX file; --dry-run only previews."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--tenant", metavar="SLUG", required=True, help="the organisation (its slug)")
        parser.add_argument("--user", metavar="USERNAME",
                            help="who imports (an administrator or account manager); the system if left out")
        parser.add_argument("--dry-run", action="store_true", help="check and print the preview, save nothing")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No organisation with the slug “{options['tenant']}”.", returncode=2)
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user “{options['user']}”.", returncode=2)
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}", returncode=2) from exc
        with tenant_context(tenant, user=actor):
            try:
                tables = imports.read_file(path.name, data)
                result = imports.run_import(tables=tables, actor=actor, dry_run=options["dry_run"])
            except (imports.ImportFileError, DomainError) as error:
                raise CommandError(str(error), returncode=2) from error
        for problem in result.problems:
            self.stdout.write(self.style.ERROR(f"{problem.sheet or path.name}: {problem.message}"))
        for row in result.rows:
            where = f"{row.sheet + ' ' if row.sheet else ''}row {row.number}"
            if row.errors:
                for error in row.errors:
                    self.stdout.write(self.style.ERROR(f"{where}: {error.column}: {error.message}"))
            else:
                self.stdout.write(f"{where}: {row.summary}")
        if not result.ok:
            raise CommandError(f"{len(result.bad_rows)} bad row(s), {len(result.problems)} table problem(s): "
                               "nothing imported.", returncode=1)
        verb = "would be imported (dry run)" if options["dry_run"] else "imported"
        self.stdout.write(self.style.SUCCESS(f"{len(result.rows)} row(s) {verb}."))
