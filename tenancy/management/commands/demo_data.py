"""Load demo data: two provider tenants, three clients each, contracts in every state, a user per role."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from contracts import services as contracts
from contracts.models import Provider
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tenancy.services import membership_create, tenant_create

PASSWORD = "demo-pass-2026"  # noqa: S105 — demo logins, printed on purpose

TENANTS = [
    {
        "name": "Northwind IT Services",
        "slug": "northwind",
        "prefix": "nw",
        "subcontractor": "Baltic Network Engineering",
        "clients": ["Uralsteel JSC", "Sibir Retail LLC", "Kama Logistics"],
    },
    {
        "name": "Volga Facility Group",
        "slug": "volga",
        "prefix": "vg",
        "subcontractor": "Clean Line Cleaning",
        "clients": ["Neva Pharma", "Oka Bank", "Don Agro Holding"],
    },
]
PROVIDER_ROLES = ["admin", "account_manager", "engineer", "accountant"]
CLIENT_ROLES = [("client_admin", "client-admin"), ("client_signatory", "signatory"), ("client_viewer", "viewer")]


class Command(BaseCommand):
    help = "Load demo data for two tenants (idempotent: does nothing when it is already there)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, **options):
        if Tenant.objects.filter(slug__in=[t["slug"] for t in TENANTS]).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                shared_manager = self._user("manager", "Maria", "Ivanova", staff=True)
                for spec in TENANTS:
                    self._tenant(spec, shared_manager)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if not options["quiet_logins"]:
            self._print_logins()

    def _user(self, username, first, last, staff=False):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.localhost", "is_staff": staff},
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        return user

    def _tenant(self, spec, shared_manager):
        tenant = tenant_create(name=spec["name"], slug=spec["slug"])
        p = spec["prefix"]
        with tenant_context(tenant):
            staff = {}
            names = {"admin": ("Anna", "Orlova"), "account_manager": ("Pavel", "Smirnov"),
                     "engineer": ("Igor", "Kuznetsov"), "accountant": ("Olga", "Popova")}
            for role in PROVIDER_ROLES:
                first, last = names[role]
                staff[role] = self._user(f"{p}-{role.replace('_', '-')}", first, last, staff=(role in ("admin", "account_manager")))
                membership_create(tenant=tenant, user=staff[role], role=role)
            membership_create(tenant=tenant, user=shared_manager, role="account_manager")
            admin = staff["admin"]
            own = Provider.objects.get(is_own=True)
            contracts.provider_create(actor=admin, name=spec["subcontractor"], is_own=False)
            sub = Provider.objects.get(name=spec["subcontractor"])
            clients = []
            for index, name in enumerate(spec["clients"], start=1):
                client = contracts.client_create(actor=admin, name=name, legal_name=f"{name} (legal entity)",
                                                 tax_id=f"77{index:02d}{tenant.pk:06d}", email=f"office@{p}{index}.example")
                clients.append(client)
                for role, suffix in CLIENT_ROLES:
                    user = self._user(f"{p}-c{index}-{suffix}", "Client", f"{name.split()[0]} {suffix}")
                    membership_create(tenant=tenant, user=user, role=role, client=client)
            self._contracts(tenant, p, admin, staff, own, sub, clients)
        return tenant

    def _contracts(self, tenant, p, admin, staff, own, sub, clients):
        year = datetime.date.today().year  # noqa: DTZ011 — demo dates only
        plan = [
            # (client index, title, fee, target state)
            (0, "IT infrastructure support 24×7", "480000.00", "active"),
            (0, "Service desk for 1,200 users", "310000.00", "suspended"),
            (1, "Store network maintenance", "260000.00", "active"),
            (1, "Data centre migration", "900000.00", "negotiation"),
            (2, "Warehouse systems support", "185000.00", "draft"),
            (2, "Legacy ERP support", "120000.00", "terminated"),
            (1, "POS terminals rollout support", "150000.00", "expired"),
        ]
        for n, (ci, title, fee, target) in enumerate(plan, start=1):
            client = clients[ci]
            contract = contracts.contract_create(
                actor=admin, client=client, provider=own, number=f"{p.upper()}-{year}-{n:03d}", title=title,
                start_date=datetime.date(year - 1, 1, 1), end_date=datetime.date(year + 1, 12, 31),
                monthly_fee=Decimal(fee), quality_share_pct=Decimal("20.00"), penalty_cap_pct=Decimal("15.00"),
                description="Demo contract.",
            )
            if n in (1, 4):
                contracts.contract_party_add(contract=contract, actor=admin, kind="subcontractor", provider=sub,
                                             representative="General director", basis="the charter",
                                             responsibilities="On-site hardware work")
            if target == "draft":
                continue
            signatory = client.memberships.get(role="client_signatory").user
            contracts.contract_role_assign(contract=contract, actor=admin, role="account_manager", user=staff["account_manager"])
            contracts.contract_role_assign(contract=contract, actor=admin, role="resolver", user=staff["engineer"])
            contracts.contract_role_assign(contract=contract, actor=admin, role="client_signatory", user=signatory)
            contracts.contract_submit(contract=contract, actor=admin)
            if target == "negotiation":
                continue
            contracts.contract_activate(contract=contract, actor=staff["account_manager"])
            if target == "suspended":
                contracts.contract_suspend(contract=contract, actor=staff["account_manager"],
                                           note="Client asked to pause during an audit.")
            elif target == "terminated":
                contracts.contract_terminate(contract=contract, actor=admin, note="Replaced by a new contract.")
            elif target == "expired":
                yesterday = datetime.date.today() - datetime.timedelta(days=1)  # noqa: DTZ011
                contracts.contract_update(contract=contract, actor=admin, end_date=yesterday)
                contracts.contract_expire(contract=contract, actor=None, note="The end date has passed.")

    def _print_logins(self):
        lines = [
            "",
            f"Demo logins (password for all: {PASSWORD}) at http://127.0.0.1:8000/",
            "  manager            account manager in BOTH tenants (tenant switcher)",
        ]
        for spec in TENANTS:
            p = spec["prefix"]
            lines.append(f"  {spec['name']}:")
            lines.append(f"    {p}-admin (admin, Django admin too), {p}-account-manager, {p}-engineer, {p}-accountant")
            lines.append(f"    client users: {p}-c1-client-admin, {p}-c1-signatory, {p}-c1-viewer (and c2, c3)")
        self.stdout.write("\n".join(lines))
