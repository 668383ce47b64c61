"""Load demo data: two provider tenants, three clients each, contracts in every state, a user per role,
business calendars and SLA policies, teams, orders whose SLA clocks run, warn and breach, acts of
completed work (signed and sealed, sent, disputed), invoices (a draft and an issued one), the reviews
the beat creates for the last quarter and year (one prepared, with an action item) and recurring
obligations with their dated occurrences."""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice, InvoiceState
from confirmations import services as confirmations
from confirmations import tasks as confirmation_tasks
from confirmations.models import Act, ActState, SignatureEvidence
from contracts import services as contracts
from contracts.amendments.demo import demo_amendments
from contracts.models import ObligationOccurrence, Provider
from disputes.demo import demo_disputes
from orders import services as orders
from orders.models import Team, TeamMember
from reviews.models import Review
from sla import services as sla
from sla.notifications import notify_clocks
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tenancy.services import membership_create, tenant_create
from tenancy.tasks import link_audit_chains

PASSWORD = "demo-pass-2026"  # noqa: S105 — demo logins, printed on purpose

DEMO_BANK = {"bank_name": "ПАО Сбербанк", "bik": "044525225", "correspondent_account": "30101810400000000225"}
TENANTS = [
    {
        "name": "Northwind IT Services",
        "slug": "northwind",
        "prefix": "nw",
        "subcontractor": "Baltic Network Engineering",
        "clients": ["Uralsteel JSC", "Sibir Retail LLC", "Kama Logistics"],
        # made-up organisations whose numbers pass the check digits; the bank is a real one's БИК and к/с
        "legal": {"legal_name": "ООО «Нордвинд ИТ Сервис»", "inn": "7705123452", "kpp": "770501001",
                  "ogrn": "1157746012346", "legal_address": "115054, г. Москва, ул. Дубининская, д. 57, стр. 1",
                  "settlement_account": "40702810938000012345", **DEMO_BANK},
        "client_legal": [
            {"inn": "6608123470", "kpp": "660801001", "ogrn": "1146658011224",
             "legal_address": "620014, г. Екатеринбург, ул. Малышева, д. 51", "settlement_account": "40702810016540011223",
             **DEMO_BANK},
            {"inn": "7801123487", "kpp": "780101001", "ogrn": "1177847033440",
             "legal_address": "199034, г. Санкт-Петербург, 13-я линия В.О., д. 2"},
            {"inn": "1659123503", "kpp": "165901001", "ogrn": "1181690055667",
             "legal_address": "420087, г. Казань, ул. Родины, д. 7"},
        ],
    },
    {
        "name": "Volga Facility Group",
        "slug": "volga",
        "prefix": "vg",
        "subcontractor": "Clean Line Cleaning",
        "clients": ["Neva Pharma", "Oka Bank", "Don Agro Holding"],
        "legal": {"legal_name": "ООО «Волга Фасилити Групп»", "inn": "6315123462", "kpp": "631501001",
                  "ogrn": "1166313054324", "legal_address": "443099, г. Самара, ул. Куйбышева, д. 90",
                  "settlement_account": "40702810154400054321", **DEMO_BANK},
        "client_legal": [
            {"inn": "5257123490", "kpp": "525701001", "ogrn": "1195275044557",
             "legal_address": "603005, г. Нижний Новгород, ул. Минина, д. 10", "settlement_account": "40702810342000044556",
             **DEMO_BANK},
            {"inn": "6164123517", "kpp": "616401001", "ogrn": "1136164066774",
             "legal_address": "344002, г. Ростов-на-Дону, ул. Суворова, д. 19"},
            {"inn": "3444123521", "kpp": "344401001", "ogrn": "1153443077886",
             "legal_address": "400005, г. Волгоград, пр. Ленина, д. 56"},
        ],
    },
]
PROVIDER_ROLES = ["admin", "account_manager", "engineer", "accountant"]
CLIENT_ROLES = [("client_admin", "client-admin"), ("client_signatory", "signatory"), ("client_viewer", "viewer")]


def _import_pdf_libraries() -> None:
    import pyhanko.sign.signers  # noqa: F401
    import weasyprint  # noqa: F401


class Command(BaseCommand):
    help = "Load demo data for two tenants (idempotent: does nothing when it is already there)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, **options):
        if Tenant.objects.filter(slug__in=[t["slug"] for t in TENANTS]).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            # Two slow starts run beside the database work: the one password hash every demo login
            # shares (PBKDF2 lets go of the GIL) and importing WeasyPrint and pyHanko for the act PDFs.
            # The emails the services send on commit go nowhere (no demo mailbox is real).
            with ThreadPoolExecutor(max_workers=2) as pool, \
                    override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
                    transaction.atomic():
                password_hash = pool.submit(make_password, PASSWORD)
                pool.submit(_import_pdf_libraries)
                self._new_users = []
                shared_manager = self._user("manager", "Maria", "Ivanova", staff=True)
                loaded = [self._tenant(spec, shared_manager) for spec in TENANTS]
                get_user_model().objects.filter(pk__in=self._new_users).update(password=password_hash.result())
                # the sweep warns and breaches the demo's late clocks (every tenant at once)
                result = sla.sla_sweep()
                for tenant, staff, active in loaded:
                    with tenant_context(tenant):
                        # ... and the bell rings now, not when a worker first runs
                        notify_clocks(warned=result.warned, breached=result.breached)
                        # acts and invoices last: the draft invoice charges the breaches just made
                        self._acts_and_invoices(staff, active)
                        self._reviews_and_obligations(staff, active)
                        demo_amendments(staff, active)
                        demo_disputes(staff, active)
            link_audit_chains()  # the events' hash chains (their commit links them too, but not inside a test's)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_summary()
        if not options["quiet_logins"]:
            self._print_logins()

    def _user(self, username, first, last, staff=False):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.localhost", "is_staff": staff},
        )
        if created:
            self._new_users.append(user.pk)  # their password is set at once, when its hash is ready
        return user

    def _tenant(self, spec, shared_manager):
        tenant = tenant_create(name=spec["name"], slug=spec["slug"])
        for field, value in spec["legal"].items():
            setattr(tenant, field, value)
        tenant.full_clean()
        tenant.save()
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
                client = contracts.client_create(actor=admin, name=name, legal_name=f"{name} LLC",
                                                 email=f"office@{p}{index}.example", **spec["client_legal"][index - 1])
                clients.append(client)
                for role, suffix in CLIENT_ROLES:
                    user = self._user(f"{p}-c{index}-{suffix}", "Client", f"{name.split()[0]} {suffix}")
                    membership_create(tenant=tenant, user=user, role=role, client=client)
            active = self._contracts(tenant, p, admin, staff, own, sub, clients)
            self._sla_and_orders(p, staff, own, sub, clients, active)
        return tenant, staff, active

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
        active = []
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
            if n == 1:  # the support contract pays for quality on its own scale (the others keep the defaults)
                for min_rating, pct in (("4.50", "5.00"), ("3.50", "2.50"), ("2.50", "0.00"), ("1.00", "-10.00")):
                    billing.rating_band_create(contract=contract, min_rating=Decimal(min_rating),
                                               adjustment_pct=Decimal(pct), actor=admin)
            contract = contracts.contract_activate(contract=contract, actor=staff["account_manager"])
            if target == "active":
                active.append(contract)
            if target == "suspended":
                contracts.contract_suspend(contract=contract, actor=staff["account_manager"],
                                           note="Client asked to pause during an audit.")
            elif target == "terminated":
                contracts.contract_terminate(contract=contract, actor=admin, note="Replaced by a new contract.")
            elif target == "expired":
                yesterday = datetime.date.today() - datetime.timedelta(days=1)  # noqa: DTZ011
                contracts.contract_update(contract=contract, actor=admin, end_date=yesterday)
                contracts.contract_expire(contract=contract, actor=None, note="The end date has passed.")
        return active

    def _sla_and_orders(self, p, staff, own, sub, clients, active):
        """Calendars, policies and teams, then orders whose clocks are met, running, paused, warned
        and breached (reported in the past, as engineers register phone calls)."""
        manager, engineer = staff["account_manager"], staff["engineer"]
        office = sla.calendar_create(
            actor=manager, name="Moscow office, Mon–Fri 09:00–18:00", time_zone="Europe/Moscow",
            working_hours={str(day): [["09:00", "18:00"]] for day in range(5)}, holiday_country="RU",
        )
        sla.calendar_create(actor=manager, name="Round the clock (24×7)", time_zone="Europe/Moscow", always_on=True)
        support, stores = active  # "IT infrastructure support 24×7" and "Store network maintenance"
        hours = datetime.timedelta(hours=1)
        for priority, response, resolution in (("critical", 2, 8), ("high", 8, 24), ("normal", 24, 48)):
            sla.policy_create(actor=manager, contract=support, priority=priority, response_target=response * hours,
                              resolution_target=resolution * hours, penalty_per_breach=Decimal("10000.00"))
        sla.policy_create(actor=manager, contract=stores, priority="normal", calendar=office,
                          penalty_per_breach=Decimal("3000.00"), warning_threshold_pct=80)

        # Teams are configured by the tenant admin (Django admin); the demo seeds three.
        desk = Team.objects.create(name="Service desk", kind=Team.Kind.CONTACT_POINT, provider=own)
        network = Team.objects.create(name="Network engineering", provider=own)
        field = Team.objects.create(name="Field hardware", provider=sub)
        TeamMember.objects.create(team=desk, user=manager)
        TeamMember.objects.create(team=network, user=engineer)

        client_user = clients[0].memberships.get(role="client_admin").user
        store_user = clients[1].memberships.get(role="client_admin").user
        now = timezone.now()
        plan = [
            # (contract, reporter, title, kind, priority, hours ago, team, steps)
            (support, engineer, "Mail server does not accept connections", "incident", "normal", 30, network, []),
            (support, engineer, "VPN drops every few minutes for the Yekaterinburg office", "incident", "normal", 20,
             network, []),
            (support, client_user, "New laptops for 12 hires in accounting", "request", "normal", 3, desk,
             ["acknowledge"]),
            (support, engineer, "Core switch in rack B3 reboots", "incident", "critical", 1, network,
             ["acknowledge", "start_incident"]),
            (support, client_user, "1C database backup fails at night", "incident", "high", 6, network,
             ["acknowledge", "start_incident", "wait_on_client"]),
            (support, client_user, "Move the file server to the new storage", "request", "normal", 26, desk,
             ["acknowledge", "plan"]),
            (stores, store_user, "Replace Wi-Fi access points in store 14", "request", "normal", 2, field, []),
            (stores, store_user, "Set up cameras in the new warehouse", "request", "normal", 60, field,
             ["acknowledge", "plan", "agree", "approve", "start", "deliver"]),
            (support, client_user, "Printer on floor 3 is jammed", "request", "low", 90, desk,
             ["acknowledge", "plan", "agree", "approve", "start", "deliver", "accept"]),
        ]
        for contract, reporter, title, kind, priority, hours_ago, team, steps in plan:
            order = orders.order_create(
                actor=engineer, contract=contract, title=title, kind=kind, priority=priority,
                description="Demo order.", expected_result="It works again.",
                reported_at=now - datetime.timedelta(hours=hours_ago), team=team,
            )
            if reporter != engineer:
                orders.order_comment(order=order, actor=reporter, body="Please keep us posted.")
            orders.order_assign(order=order, actor=manager, team=team, assignee=engineer if team == network else None)
            for step in steps:
                actor = contract.client.memberships.get(role="client_admin").user if step in ("agree", "accept") else engineer
                orders.order_transition(order=order, name=step, actor=actor,
                                        note="Waiting for the backup logs from you." if step == "wait_on_client" else "")
            if steps[-1:] == ["acknowledge"]:
                orders.order_comment(order=order, actor=engineer, internal=True,
                                     body="Laptops are in stock at the warehouse; order imaging first.")

    def _acts_and_invoices(self, staff, active):
        """Acts through their services (the PDF tasks run here, not in a worker: the demo loads before
        the worker starts), then this month's draft invoice and last month's issued one.

        The signed act's confirmation and the sweep's breaches are dated now, and an invoice counts
        the evidence of its own month, so the draft with the quality and penalty lines is this
        month's; last month's (the fixed fee only) is the one issued."""
        manager, accountant = staff["account_manager"], staff["accountant"]
        support, stores = active
        today = support.tenant.today()  # invoices count months in the tenant's time zone
        month_start, month_end = billing.month_bounds(today)
        last_start, last_end = billing.previous_month(today)

        def signatory(contract):
            return contract.client.memberships.get(role="client_signatory").user

        def sent(contract, start, end, basis):
            act = confirmations.act_create(actor=manager, contract=contract, period_start=start, period_end=end,
                                           basis=basis)
            act = confirmations.act_send(act=act, actor=manager)
            confirmation_tasks.render_act(act.tenant_id, act.pk, act.revision)  # what the worker would do
            return Act.objects.get(pk=act.pk)

        # this month's service and the delivered printer order, signed: the order rated 2, the act 4
        act = sent(support, month_start, month_end, confirmations.Basis.BOTH)
        printer = act.lines.exclude(order=None).get().order
        confirmations.act_sign(act=act, actor=signatory(support), data=confirmations.SignInput(
            rating=4, comment="Good month overall; the printer took too long.",
            order_ratings=[confirmations.OrderRatingInput(
                order=printer, rating=2, comment="Three days to clear a paper jam; the floor had no printer.")],
            consent=True, method=SignatureEvidence.Method.PASSWORD, password=PASSWORD,
            ip_address="127.0.0.1", user_agent="demo_data (Django management command)"))
        confirmation_tasks.seal_act(act.tenant_id, act.pk)
        # the stores' month: the delivered cameras and the fee, waiting for the client's signature
        sent(stores, month_start, month_end, confirmations.Basis.BOTH)
        # last month's fixed service, disputed by the client
        act = sent(support, last_start, last_end, confirmations.Basis.FEE)
        confirmations.act_dispute(act=act, actor=signatory(support),
                                  reason="The service desk was down for two days in the middle of the month; "
                                         "please reduce the fee accordingly.")

        billing.invoice_build(contract=support, period=month_start, actor=accountant)
        invoice = billing.invoice_build(contract=stores, period=last_start, actor=accountant)
        billing.invoice_issue(invoice=invoice, actor=accountant)

    def _reviews_and_obligations(self, staff, active):
        """What the beat makes for a running contract (its due reviews), one review prepared with a
        point of the plan, and the duties no order tracks."""
        from contracts.models import ObligationRule
        from contracts.obligations import services as obligations
        from reviews import services as reviews
        from reviews.models import ReviewKind

        manager = staff["account_manager"]
        support, _stores = active
        reviews.reviews_create_due()
        review = (Review.objects.filter(contract=support, kind=ReviewKind.QUARTERLY).order_by("-period_start").first())
        if review is not None:
            review = reviews.review_prepare(review=review, actor=manager)
            reviews.action_item_create(review=review, actor=manager, owner=staff["engineer"],
                                       what="Keep a spare printer on every floor",
                                       due_date=support.tenant.today() + datetime.timedelta(days=21))
        for contract in active:
            obligations.obligation_create(contract=contract, actor=manager, owner=manager, title="Monthly service report",
                                          rule=ObligationRule.MONTHLY, day=5)
            obligations.obligation_create(contract=contract, actor=manager, owner=staff["accountant"],
                                          title="Closing documents", rule=ObligationRule.BUSINESS_DAYS,
                                          business_days=3)

    def _print_summary(self):
        for tenant in Tenant.objects.filter(slug__in=[t["slug"] for t in TENANTS]).order_by("slug"):
            with tenant_context(tenant):
                acts = {state: Act.objects.filter(state=state).count()
                        for state in (ActState.SIGNED, ActState.SENT, ActState.DISPUTED)}
                invoices = {state: Invoice.objects.filter(state=state).count()
                            for state in (InvoiceState.DRAFT, InvoiceState.ISSUED)}
                reviews = Review.objects.count()
                occurrences = ObligationOccurrence.objects.count()
            self.stdout.write(
                f"  {tenant.name}: acts: {acts[ActState.SIGNED]} signed, {acts[ActState.SENT]} awaiting signature, "
                f"{acts[ActState.DISPUTED]} disputed; invoices: {invoices[InvoiceState.DRAFT]} draft, "
                f"{invoices[InvoiceState.ISSUED]} issued; reviews: {reviews}; obligation dates: {occurrences}")

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
