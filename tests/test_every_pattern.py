"""Every page of the URL configuration, as every role the demo has, in English and in Russian.

A crawler from the home page only finds what a menu links to; this walks `django.urls.get_resolver()`
instead, fills each pattern's arguments with real ids from the demo data and GETs it, then follows
each page's links with a query (filters, tabs, periods) once per shape. It fails on a server error, on a variable a project template asked for and did not get,
and, in the Russian pass, on every message looked up that has no Russian translation. A page a role
may not reach answers 302/403/404 (405 for a POST-only action, 400 for one that needs a query), never 500. A new pattern with
arguments must be filled in `FILL` or listed in `UNFILLED` with its reason: nothing is skipped silently.
"""

from __future__ import annotations

import html
import inspect
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import trans_real

from tests.test_project import mid_month  # noqa: F401 — the fixture

PASSWORD = "demo-pass-2026"  # noqa: S105 — the demo's printed password
STAFF = ["nw-account-manager", "nw-admin", "nw-accountant", "nw-engineer"]
CLIENT_ROLES = ["client_signatory", "client_viewer", "client_admin"]
LANGUAGES = ["en", "ru"]
OUTSIDE = re.compile(r"^(admin|api|static|i18n)/|^accounts/logout/$")
ANSWERS = {200, 302, 303, 400, 403, 404, 405}
QUERY_LINK = re.compile(r'href="(/[^"#]*\?[^"#]*)')

# Patterns with arguments the demo has no object for, with the reason. Add a demo object (or a row
# made below in `_extra_rows`) and a FILL entry rather than a line here.
UNFILLED = {
    "orders/<int:pk>/attachments/<int:attachment_pk>/": "the demo attaches no file to an order",
    "portal/orders/<int:pk>/attachments/<int:attachment_pk>/": "the demo attaches no file to an order",
    "disputes/<int:pk>/documents/<int:document_pk>/": "the demo's disputes carry no document",
    "portal/disputes/<int:pk>/documents/<int:document_pk>/": "the demo's disputes carry no document",
    "mail/inbound/<int:pk>/": "the demo receives no inbound mail",
    "mail/inbound/<int:pk>/convert/": "the demo receives no inbound mail (and it is POST-only)",
    "mail/inbound/<int:pk>/discard/": "the demo receives no inbound mail (and it is POST-only)",
}

# Variables a project template may legitimately leave missing: (template name, variable) → reason.
ALLOWED_MISSING: dict[tuple[str, str], str] = {}
# Messages looked up in Russian that need no entry of their own, with the reason.
NEEDS_NO_TRANSLATION = {
    # {% get_available_languages %} translates settings.LANGUAGES, and {% get_language_info_list %}
    # then looks the already Russian names up once more
    "Английский": "Django translates the language names twice",
    "Русский": "Django translates the language names twice",
}


def _first(model, **filters) -> int:
    pk = model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True).first()
    assert pk is not None, (model.__name__, filters)
    return pk


def _ids(tenant) -> tuple:
    """The client whose users sign in, and each pattern's arguments from the first tenant's demo rows
    (that client's where the portal shows them)."""
    from billing.models import Invoice, RatingBand
    from confirmations.models import Act, CorrectiveAction
    from contracts.models import (
        Amendment,
        Contract,
        ContractParty,
        ContractRole,
        Obligation,
        ObligationOccurrence,
        ObligationTemplate,
        Provider,
    )
    from disputes.models import Dispute
    from integrations.webhooks.models import Delivery, Endpoint
    from orders.models import Order
    from reviews.models import ActionItem, Review
    from sla.models import BusinessCalendar, SLAPolicy
    from tenancy.models import ApiKey, Notification

    client = Act.objects.filter(state="sent").order_by("pk").first().client  # the client users sign in for
    contract = _first(Contract, client=client, state="active")
    party = ContractParty.objects.order_by("pk").first()
    role = ContractRole.objects.order_by("pk").first()
    band = RatingBand.objects.order_by("pk").first()
    review = _first(Review, contract__client=client)
    item = ActionItem.objects.filter(review_id=review).order_by("pk").first() or ActionItem.objects.order_by("pk").first()
    endpoint = _first(Endpoint)
    return client, {
        "clients/<int:pk>/": {"pk": client.pk},
        "clients/<int:pk>/edit/": {"pk": client.pk},
        "providers/<int:pk>/edit/": {"pk": _first(Provider)},
        "contracts/<int:pk>/": {"pk": contract},
        "contracts/<int:pk>/edit/": {"pk": _first(Contract, state="draft")},
        "contracts/<int:pk>/transition/<slug:name>/": {"pk": contract, "name": "suspend"},
        "contracts/<int:pk>/parties/add/": {"pk": contract},
        "contracts/<int:pk>/parties/<int:party_pk>/remove/": {"pk": party.contract_id, "party_pk": party.pk},
        "contracts/<int:pk>/roles/add/": {"pk": contract},
        "contracts/<int:pk>/roles/<int:role_pk>/remove/": {"pk": role.contract_id, "role_pk": role.pk},
        "contracts/<int:pk>/obligations/": {"pk": contract},
        "obligations/<int:pk>/edit/": {"pk": _first(Obligation)},
        "obligations/occurrences/<int:pk>/": {"pk": _first(ObligationOccurrence)},
        "obligations/occurrences/<int:pk>/complete/": {"pk": _first(ObligationOccurrence)},
        "obligations/occurrences/<int:pk>/evidence/": {"pk": _first(ObligationOccurrence)},
        "obligations/templates/<int:pk>/edit/": {"pk": _first(ObligationTemplate)},
        "obligations/templates/<int:pk>/apply/": {"pk": _first(ObligationTemplate)},
        "portal/contracts/<int:pk>/": {"pk": contract},
        "amendments/<int:pk>/": {"pk": _first(Amendment)},
        "amendments/<int:pk>/agree/": {"pk": _first(Amendment)},
        "amendments/<int:pk>/reject/": {"pk": _first(Amendment)},
        "amendments/<int:pk>/cancel/": {"pk": _first(Amendment)},
        "contracts/<int:pk>/amendments/new/": {"pk": contract},
        "contracts/<int:pk>/renew/": {"pk": contract},
        "portal/amendments/<int:pk>/": {"pk": _first(Amendment, contract__client=client)},
        "portal/amendments/<int:pk>/agree/": {"pk": _first(Amendment, contract__client=client)},
        "portal/amendments/<int:pk>/reject/": {"pk": _first(Amendment, contract__client=client)},
        "portal/amendments/<int:pk>/cancel/": {"pk": _first(Amendment, contract__client=client)},
        "portal/contracts/<int:pk>/amendments/new/": {"pk": contract},
        "orders/<int:pk>/": {"pk": _first(Order, client=client)},
        "orders/<int:pk>/edit/": {"pk": _first(Order, client=client)},
        "orders/<int:pk>/transition/<slug:name>/": {"pk": _first(Order, client=client), "name": "acknowledge"},
        "orders/<int:pk>/comments/": {"pk": _first(Order, client=client)},
        "orders/<int:pk>/attachments/": {"pk": _first(Order, client=client)},
        "orders/<int:pk>/assign/": {"pk": _first(Order, client=client)},
        "portal/orders/<int:pk>/": {"pk": _first(Order, client=client)},
        "sla/calendars/<int:pk>/edit/": {"pk": _first(BusinessCalendar)},
        "sla/policies/<int:pk>/edit/": {"pk": _first(SLAPolicy)},
        "contracts/<int:pk>/sla/": {"pk": contract},
        "contracts/<int:pk>/sla/policies/new/": {"pk": contract},
        "contracts/<int:pk>/force-majeure/": {"pk": contract},
        "contracts/<int:pk>/force-majeure/lift/": {"pk": contract},
        "billing/invoices/<int:pk>/": {"pk": _first(Invoice, client=client)},
        "billing/invoices/<int:pk>/transition/<slug:name>/": {"pk": _first(Invoice, client=client), "name": "issue"},
        "billing/invoices/<int:pk>/rebuild/": {"pk": _first(Invoice, client=client)},
        "billing/invoices/<int:pk>/waive/": {"pk": _first(Invoice, client=client)},
        "billing/invoices/<int:pk>/credit-note/": {"pk": _first(Invoice, client=client)},
        "billing/invoices/<int:pk>/export/<slug:fmt>/": {"pk": _first(Invoice, client=client), "fmt": "csv"},
        "contracts/<int:pk>/rating-bands/": {"pk": band.contract_id},
        "contracts/<int:pk>/rating-bands/<int:band_pk>/": {"pk": band.contract_id, "band_pk": band.pk},
        "contracts/<int:pk>/rating-bands/<int:band_pk>/delete/": {"pk": band.contract_id, "band_pk": band.pk},
        "portal/invoices/<int:pk>/": {"pk": _first(Invoice, state__in=["issued", "paid"])},
        "portal/invoices/<int:pk>/pdf/": {"pk": _first(Invoice, state__in=["issued", "paid"])},
        "acts/<int:pk>/": {"pk": _first(Act, client=client)},
        "acts/<int:pk>/lines/": {"pk": _first(Act, client=client)},
        "acts/<int:pk>/send/": {"pk": _first(Act, client=client)},
        "acts/<int:pk>/status/": {"pk": _first(Act, client=client)},
        "acts/<int:pk>/pdf/": {"pk": _first(Act, client=client)},
        "acts/<int:pk>/sealed.pdf": {"pk": _first(Act, state="signed")},
        "corrective-actions/<int:pk>/plan/": {"pk": _first(CorrectiveAction)},
        "portal/acts/<int:pk>/": {"pk": _first(Act, client=client, state="sent")},
        "portal/acts/<int:pk>/sign/": {"pk": _first(Act, client=client, state="sent")},
        "portal/acts/<int:pk>/code/": {"pk": _first(Act, client=client, state="sent")},
        "portal/acts/<int:pk>/dispute/": {"pk": _first(Act, client=client, state="sent")},
        "reviews/<int:pk>/": {"pk": review},
        "reviews/<int:pk>/<str:name>/": {"pk": review, "name": "prepare"},
        "reviews/<int:pk>/items/add/": {"pk": review},
        "reviews/<int:pk>/items/<int:item_pk>/": {"pk": item.review_id, "item_pk": item.pk},
        "reviews/<int:pk>/items/<int:item_pk>/<str:name>/": {"pk": item.review_id, "item_pk": item.pk, "name": "done"},
        "reviews/<int:pk>/report.pdf": {"pk": review},
        "reviews/<int:pk>/report.csv": {"pk": review},
        "portal/reviews/<int:pk>/": {"pk": review},
        "portal/reviews/<int:pk>/confirm/": {"pk": review},
        "portal/reviews/<int:pk>/report.pdf": {"pk": review},
        "disputes/<int:pk>/": {"pk": _first(Dispute)},
        "disputes/<int:pk>/<slug:name>/": {"pk": _first(Dispute), "name": "escalate"},
        "portal/disputes/<int:pk>/": {"pk": _first(Dispute)},
        "portal/disputes/<int:pk>/<slug:name>/": {"pk": _first(Dispute), "name": "withdraw"},
        "webhooks/<int:pk>/": {"pk": endpoint},
        "webhooks/<int:pk>/secret/": {"pk": endpoint},
        "webhooks/<int:pk>/test/": {"pk": endpoint},
        "webhooks/<int:pk>/rotate/": {"pk": endpoint},
        "webhooks/<int:pk>/delete/": {"pk": endpoint},
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/": {"pk": endpoint, "delivery_pk": _first(Delivery)},
        "api-keys/<int:pk>/revoke/": {"pk": _first(ApiKey)},
        "notifications/<int:pk>/open/": {"pk": _first(Notification)},
    }


def _patterns(patterns=None, prefix: str = ""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and not OUTSIDE.search(route):
            yield route


def _query_links(response):
    """(shape, link) of each same-site link with a query on an HTML page: /orders/?state=new and
    /orders/?state=late have one shape; PDFs are left out (their routes are fetched once already)."""
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    links = []
    for href in QUERY_LINK.findall(response.content.decode()):
        parsed = urlparse(html.unescape(href))
        if OUTSIDE.search(parsed.path.lstrip("/")) or "pdf" in parsed.path or "lang=" in parsed.query:
            continue
        shape = re.sub(r"\d+", "N", parsed.path) + "?" + "&".join(sorted(parse_qs(parsed.query, keep_blank_values=True)))
        links.append((shape, parsed.geturl()))
    return links


def _extra_rows(tenant, monkeypatch) -> dict:
    """Rows the demo does not make but a page needs: an API key, an obligation template, a webhook endpoint with one
    (undelivered) test event, an open invitation; and the arguments of the pages that need them (with a
    password-reset link of a member)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from contracts import imports, obligations
    from contracts.models import ObligationRule
    from integrations.webhooks import services as webhooks
    from integrations.webhooks import transport
    from search.services import saved_view_create
    from tenancy import people
    from tenancy.models import Membership
    from tenancy.services import api_key_create

    monkeypatch.setattr(transport, "resolve", lambda host, port: ["93.184.216.34"])  # a public address; nothing is sent
    monkeypatch.setattr(transport, "redirect_of", lambda url, *, allow_private: None)
    admin = Membership.objects.get(role="admin").user
    api_key_create(actor=admin, name="CRM sync", scopes=["read"])
    obligations.obligation_template_create(actor=admin, title="Quarterly security report", rule=ObligationRule.MONTHLY, day=10)
    endpoint = webhooks.endpoint_create(actor=admin, url="https://hooks.example/contracts", event_types=["order.created"])
    webhooks.endpoint_send_test(endpoint=endpoint, actor=admin)
    invitation, token = people.invitation_create(actor=admin, email="new.engineer@example.com", role="engineer")
    member = Membership.objects.filter(role="engineer").order_by("pk").first()
    view = saved_view_create(user=admin, list_name="orders", name="Breached", query="breached=1")
    return {
        "organisation/members/<int:pk>/": {"pk": member.pk},
        "organisation/members/<int:pk>/active/": {"pk": member.pk},
        "organisation/invitations/<int:pk>/resend/": {"pk": invitation.pk},
        "organisation/invitations/<int:pk>/revoke/": {"pk": invitation.pk},
        "invitations/<str:token>/": {"token": token},
        "accounts/password/reset/<uidb64>/<token>/": {
            "uidb64": urlsafe_base64_encode(force_bytes(member.user.pk)),
            "token": default_token_generator.make_token(member.user)},
        "import/template-<slug:kind>.csv": {"kind": imports.ORDER[0]},
        "saved-views/<int:pk>/delete/": {"pk": view.pk},
    }


class MissingVariable(str):
    """`string_if_invalid`: an empty string that records where it is printed.

    Empty, so `{% if %}`, `{% for %}` and `|default` treat a missing variable as the product does
    (a `%s` marker would be truthy and send `{% if act.confirmation %}` down the wrong branch); a
    variable printed as `{{ missing }}` calls `__str__`, which records the template and the variable.
    """

    seen: set[tuple[str, str]]

    def __new__(cls):
        marker = super().__new__(cls, "")
        marker.seen = set()
        return marker

    def __str__(self):
        frame, variable, template = inspect.currentframe(), "?", "?"
        while frame is not None:
            node = frame.f_locals.get("self")
            context = frame.f_locals.get("context")
            if variable == "?" and hasattr(node, "filter_expression"):
                variable = node.filter_expression.token
            current = getattr(getattr(context, "render_context", None), "template", None)
            if template == "?" and current is not None and getattr(current, "origin", None) is not None:
                template = current.origin.template_name or str(current.origin.name)
            if "?" not in (variable, template):
                break
            frame = frame.f_back
        self.seen.add((str(template), str(variable)))
        return ""


class UntranslatedMessages:
    """While on, records each msgid looked up in the Russian catalog that the catalog does not hold."""

    def __init__(self):
        self.seen: set[str] = set()
        self.on = False

    def install(self, monkeypatch) -> None:
        cls = trans_real.DjangoTranslation
        plain, plural = cls.gettext, cls.ngettext
        recorder = self

        def gettext(translation, message):
            if recorder.on and translation.language() == "ru" and message and message not in translation._catalog:
                recorder.seen.add(message)
            return plain(translation, message)

        def ngettext(translation, singular, plural_message, n):
            if recorder.on and translation.language() == "ru" and (singular, 0) not in translation._catalog:
                recorder.seen.add(singular)
            return plural(translation, singular, plural_message, n)

        monkeypatch.setattr(cls, "gettext", gettext)
        monkeypatch.setattr(cls, "ngettext", ngettext)


def test_the_recorders_see_a_missing_variable_and_an_untranslated_message(settings, monkeypatch):
    from django.template import engines
    from django.utils import translation

    missing = MissingVariable()
    settings.TEMPLATES = [dict(settings.TEMPLATES[0], OPTIONS=dict(settings.TEMPLATES[0]["OPTIONS"], string_if_invalid=missing))]
    untranslated = UntranslatedMessages()
    untranslated.install(monkeypatch)
    untranslated.on = True
    template = engines["django"].from_string(
        "{% load i18n %}{% if nothing %}x{% endif %}{{ nothing|default:'-' }}{{ order.nothing }}"
        "{% translate 'Orders' %}{% translate 'No such message, ever' %}")
    with translation.override("ru"):
        assert template.render({"order": object()}) == "-Заявки" + "No such message, ever"
    assert {variable for _, variable in missing.seen} == {"order.nothing"}
    assert untranslated.seen == {"No such message, ever"}


@pytest.mark.django_db
def test_every_url_pattern_answers_every_role_in_both_languages_without_errors(settings, tmp_path, monkeypatch, mid_month):  # noqa: F811
    from tenancy.context import tenant_context
    from tenancy.models import Tenant

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo_data", "--quiet-logins")
    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        extra = _extra_rows(tenant, monkeypatch)
        client, fill = _ids(tenant)
        fill.update(extra)
        users = STAFF + [client.memberships.get(role=role).user.username for role in CLIENT_ROLES]
    missing = MissingVariable()
    templates = [dict(settings.TEMPLATES[0], OPTIONS=dict(settings.TEMPLATES[0]["OPTIONS"], string_if_invalid=missing))]
    settings.TEMPLATES = templates
    untranslated = UntranslatedMessages()
    untranslated.install(monkeypatch)

    paths, unfillable = [], []
    for route in _patterns():
        if "<" not in route:
            paths.append("/" + route)
        elif route in fill:
            path = route
            for name, value in fill[route].items():
                path = re.sub(rf"<(\w+:)?{name}>", str(value), path)
            paths.append("/" + path)
        elif route not in UNFILLED:
            unfillable.append(route)
    assert unfillable == [], "fill these patterns in FILL or list them in UNFILLED with a reason"
    assert set(UNFILLED) <= set(_patterns()), "UNFILLED names a pattern that no longer exists"

    failures, statuses, followed = [], {}, 0
    for username in users:
        for language in LANGUAGES:
            client = Client(headers={"accept-language": language})
            assert client.login(username=username, password=PASSWORD), username
            untranslated.on = language == "ru"
            queried: dict[str, str] = {}
            for path in paths:
                response = client.get(path)
                statuses.setdefault(path, set()).add(response.status_code)
                if response.status_code not in ANSWERS:
                    failures.append((username, language, path, response.status_code))
                queried.update({shape: href for shape, href in _query_links(response) if shape not in queried})
            followed += len(queried)
            for href in queried.values():  # the filters, tabs and periods the pages link to, one of each
                response = client.get(href)
                if response.status_code not in ANSWERS:
                    failures.append((username, language, href, response.status_code))
            untranslated.on = False
    assert followed > len(users) * len(LANGUAGES), "the pages' filter links were not followed"
    # every page is reached by someone: a pattern that only ever answers 404 tests nothing
    never_shown = sorted(path for path, codes in statuses.items() if codes.isdisjoint({200, 302, 303, 405}))
    variables = sorted(seen for seen in missing.seen if seen not in ALLOWED_MISSING)
    assert {"errors": failures, "never shown": never_shown, "missing variables": variables,
            "untranslated": sorted(untranslated.seen - set(NEEDS_NO_TRANSLATION))} == {"errors": [], "never shown": [], "missing variables": [],
                                                          "untranslated": []}
