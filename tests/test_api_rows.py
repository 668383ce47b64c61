"""The hot lists' plain-row path (tenancy.api_rows) answers exactly what DRF's serializers answer.

Each list is requested twice on the same rows: through `FastListMixin` and through DRF's own
`ListModelMixin.list` with the same serializer; the two JSON bodies must be equal, for the
provider's administrator and for a client user, with filters, ordering, search and a second page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import mixins, serializers
from rest_framework.pagination import PageNumberPagination

from contracts.api.serializers import ContractSerializer
from sla.models import Breach
from tenancy.api_rows import FastListMixin, RowWriter
from tests.query_counts_support import Scene

LISTS = {
    "contracts": ["", "?state=active", "?search=Q-", "?ordering=-monthly_fee,number", "?page=2"],
    "acts": ["", "?state=sent", "?page=2"],
    "invoices": ["", "?state=issued", "?ordering=total", "?search=Q-"],
    "breaches": ["", "?ordering=-penalty", "?metric=resolution", "?page=2"],
}


@pytest.fixture
def rows(world_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    Scene(world_a).grow(2)
    with world_a.context():
        breach = Breach.objects.order_by("id").first()
        Breach.objects.filter(pk=breach.pk).update(provider=world_a.own_provider, waived_at=timezone.now(),
                                                  waived_reason="agreed", penalty=Decimal("1234.5"))
    return world_a


def both(api, url, monkeypatch) -> tuple[dict, dict]:
    fast = api.get(url)
    with monkeypatch.context() as patch:
        patch.setattr(FastListMixin, "list", mixins.ListModelMixin.list)
        drf = api.get(url)
    assert fast.status_code == drf.status_code, (url, fast.content[:300], drf.content[:300])
    return fast.json(), drf.json()


@pytest.mark.django_db
def test_the_fast_lists_answer_what_the_serializers_answer(rows, api_as, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 1)  # several pages of the few rows
    apis = [api_as(rows, user, scopes=("read",)) for user in (rows.admin, rows.client_admin, rows.accountant)]
    for name, queries in LISTS.items():
        for api in apis:
            for query in queries:
                url = f"/api/v1/{name}/{query}"
                fast, drf = both(api, url, monkeypatch)
                assert fast == drf, url
        fast, _drf = both(apis[0], f"/api/v1/{name}/?page=2", monkeypatch)
        assert fast["count"] >= 2 and fast["results"], name  # the comparison saw rows on two pages


@pytest.mark.django_db
def test_a_session_answers_the_same_absolute_urls(rows, client, monkeypatch):
    client.force_login(rows.account_manager)
    fast, drf = both(client, "/api/v1/acts/", monkeypatch)
    assert fast == drf
    assert fast["results"][0]["url"].startswith("http://testserver/api/v1/acts/")


def test_a_field_without_a_column_must_be_given():
    class Bad(ContractSerializer):
        extra = serializers.SerializerMethodField()

        class Meta(ContractSerializer.Meta):
            fields = [*ContractSerializer.Meta.fields, "extra"]

        def get_extra(self, contract) -> str:
            return ""

    with pytest.raises(ImproperlyConfigured, match="extra"):
        RowWriter(Bad)


def test_datetimes_are_written_as_drf_writes_them(settings):
    from tenancy.api_rows import datetime_writer

    drf = serializers.DateTimeField()
    for zone_name in ("UTC", "Europe/Moscow"):
        with timezone.override(zone_name):
            write = datetime_writer(timezone.get_current_timezone())
            for value in (dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),
                          dt.datetime(2026, 10, 25, 1, 30, 15, 123456, tzinfo=dt.UTC)):
                assert write(value) == drf.to_representation(value)


# --- the compiled list statements (tenancy.api_rows._Statement) --------------------------------


@pytest.fixture
def compiled(monkeypatch):
    """Count the statements compiled, without the pytest-wide check that recompiles every reuse."""
    from tenancy import api_rows

    api_rows._statements.clear()
    made = []
    original = api_rows._Statement.__init__

    def counting(self, rows, values):
        made.append(rows.queryset.model.__name__)
        original(self, rows, values)

    monkeypatch.setattr(api_rows._Statement, "__init__", counting)
    yield made
    api_rows._statements.clear()


@pytest.mark.django_db
def test_a_list_statement_is_compiled_once_and_answers_alike(rows, api_as, compiled, settings):
    settings.API_LIST_STATEMENTS_VERIFY = False
    api = api_as(rows, rows.admin, scopes=("read",))
    first = api.get("/api/v1/breaches/?ordering=-penalty").json()
    again = api.get("/api/v1/breaches/?ordering=-penalty").json()
    assert compiled == ["Breach"] and first == again and first["results"]
    api.get("/api/v1/breaches/?ordering=-penalty&page=2")  # another page: the same statement
    assert compiled == ["Breach"]
    api.get("/api/v1/breaches/?ordering=penalty")  # another order: another statement
    assert compiled == ["Breach", "Breach"]


@pytest.mark.django_db
def test_a_reused_statement_keeps_each_tenant_and_each_client_to_its_rows(rows, world_b, api_as, compiled, settings):
    from tests.factories.contracts import ContractFactory

    settings.API_LIST_STATEMENTS_VERIFY = False
    Scene(world_b).grow(1)
    with rows.context():  # one breach on another client's contract: not the client user's
        other = ContractFactory(tenant=rows.tenant)
        Breach.objects.filter(pk=Breach.objects.order_by("id").values("id")[:1]).update(contract=other)
    seen = {}
    for world, user in ((rows, rows.admin), (world_b, world_b.admin), (rows, rows.client_admin), (rows, rows.admin)):
        for name in LISTS:
            if user == rows.client_admin and name == "contracts":
                continue  # the provider's list only
            answer = api_as(world, user, scopes=("read",)).get(f"/api/v1/{name}/")
            assert answer.status_code == 200, (name, answer.content[:200])
            seen[(world.tenant.pk, user.pk, name)] = {row["id"] for row in answer.json()["results"]}
    for name, model in (("contracts", "Contract"), ("acts", "Act"), ("invoices", "Invoice"), ("breaches", "Breach")):
        own, other = seen[(rows.tenant.pk, rows.admin.pk, name)], seen[(world_b.tenant.pk, world_b.admin.pk, name)]
        assert own and other and not own & other, name
        with rows.context():
            assert own == set(_model(model).objects.values_list("id", flat=True)), name
    client_rows = seen[(rows.tenant.pk, rows.client_admin.pk, "breaches")]
    with rows.context():
        assert client_rows == set(Breach.objects.filter(contract__client=rows.client).values_list("id", flat=True))
    assert client_rows < seen[(rows.tenant.pk, rows.admin.pk, "breaches")]


def _model(name):
    from django.apps import apps

    return next(model for model in apps.get_models() if model.__name__ == name)


@pytest.mark.django_db
def test_a_filter_checked_against_the_database_is_checked_every_time(rows, api_as, compiled, settings):
    settings.API_LIST_STATEMENTS_VERIFY = False
    from contracts.models import Contract

    api = api_as(rows, rows.admin, scopes=("read",))
    with rows.context():
        contract = Contract.objects.order_by("id").values_list("id", flat=True).first()
        missing = Contract.objects.order_by("-id").values_list("id", flat=True).first() + 1000
    for _ in range(2):
        assert api.get(f"/api/v1/breaches/?contract={contract}").status_code == 200
    assert compiled == ["Breach", "Breach"]  # never kept: `contract` must be one of the tenant's
    answer = api.get(f"/api/v1/breaches/?contract={missing}")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "contract"


@pytest.mark.django_db
def test_the_check_under_pytest_fails_a_key_that_misses_what_the_statement_depends_on(rows, api_as, monkeypatch):
    from tenancy import api_rows

    api_rows._statements.clear()
    monkeypatch.setattr(api_rows.FastListMixin, "statement_key",  # forgets the user and their client
                        lambda self, request, paginator: ("one key for everybody",))
    api_as(rows, rows.admin, scopes=("read",)).get("/api/v1/breaches/")
    with pytest.raises(AssertionError, match="differs"):
        api_as(rows, rows.client_admin, scopes=("read",)).get("/api/v1/breaches/")
    api_rows._statements.clear()


def test_money_is_written_as_drf_writes_it():
    from tenancy.api_rows import decimal_writer

    for field in (serializers.DecimalField(max_digits=14, decimal_places=2),
                  serializers.DecimalField(max_digits=5, decimal_places=0)):
        write = decimal_writer(field)
        for value in (Decimal("1234.50"), Decimal("1234.5"), Decimal("-0.00"), Decimal("0"), Decimal("1E+2"),
                      Decimal("12.345"), Decimal("99999"), Decimal("0.05"), Decimal("-12.30"), Decimal("NaN"),
                      Decimal("5E-7"), 7, 2.5, "3.10"):
            assert write(value) == field.to_representation(value), (field.decimal_places, value)


def test_dates_are_written_as_drf_writes_them():
    from tenancy.api_rows import date_writer

    field = serializers.DateField()
    write = date_writer(field)
    for value in (dt.date(2026, 12, 31), dt.date(2000, 1, 1), "2026-01-02"):
        assert write(value) == field.to_representation(value)


@pytest.fixture
def long_lists(monkeypatch):
    """Lists of two rows or more count as long (their count is kept); the kept counts' clock by hand."""
    from tenancy import api_rows

    api_rows._statements.clear()
    api_rows._queryset_counts.kept.clear()
    monkeypatch.setattr(api_rows, "LARGE_COUNT", 2)
    clock = [1000.0]
    monkeypatch.setattr(api_rows, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(PageNumberPagination, "page_size", 1)
    yield clock
    api_rows._statements.clear()


def _every_page(api, url) -> tuple[list[int], list[dict]]:
    pages = [api.get(url).json()]
    while pages[-1]["next"]:
        pages.append(api.get(pages[-1]["next"]).json())
    return [row["id"] for page in pages for row in page["results"]], pages


@pytest.mark.django_db
def test_a_long_lists_count_is_kept_a_while_and_its_pages_never_hide_a_row(rows, api_as, long_lists):
    from tests.factories.sla import BreachFactory

    api = api_as(rows, rows.admin, scopes=("read",))
    with rows.context():
        before = set(Breach.objects.values_list("id", flat=True))
    assert api.get("/api/v1/breaches/").json()["count"] == len(before) >= 2
    with rows.context():
        added = BreachFactory(tenant=rows.tenant)
    first = api.get("/api/v1/breaches/").json()
    assert first["count"] == len(before)  # kept: up to a minute old
    seen, pages = _every_page(api, "/api/v1/breaches/")
    assert sorted(seen) == sorted(before | {added.pk})  # the pages are current: nothing hidden
    assert pages[-1]["count"] == len(before) + 1  # and the last page knows the count exactly
    assert api.get(f"/api/v1/breaches/?page={len(before) + 1}").status_code == 200  # past the kept count
    long_lists[0] += 61
    assert api.get("/api/v1/breaches/").json()["count"] == len(before) + 1


@pytest.mark.django_db
def test_a_page_past_the_end_of_a_shrunk_long_list_is_a_404_as_ever(rows, api_as, long_lists):
    api = api_as(rows, rows.admin, scopes=("read",))
    total = api.get("/api/v1/breaches/").json()["count"]
    assert api.get(f"/api/v1/breaches/?page={total}").status_code == 200
    with rows.context():
        Breach.objects.filter(pk=Breach.objects.order_by("breached_at", "id").values("id")[:1]).delete()
    assert api.get(f"/api/v1/breaches/?page={total}").status_code == 404  # counted again, not an empty 200
    assert api.get(f"/api/v1/breaches/?page={total + 5}").status_code == 404
    assert api.get("/api/v1/breaches/").json()["count"] == total - 1


@pytest.mark.django_db
def test_every_page_number_list_keeps_a_long_count_and_never_hides_a_row(rows, api_as, long_lists):
    """Not only the hot lists: a list read through a queryset (the clients, the webhook log …) keeps
    its long count the same way, by its SQL and parameters — another tenant's or another filter's
    count is its own."""
    from contracts.models import Client
    from tests.factories import ClientFactory

    api = api_as(rows, rows.admin, scopes=("read",))
    with rows.context():
        before = set(Client.objects.values_list("id", flat=True))
    assert api.get("/api/v1/clients/").json()["count"] == len(before) >= 2
    with rows.context():
        added = ClientFactory(tenant=rows.tenant)
    assert api.get("/api/v1/clients/").json()["count"] == len(before)  # kept: up to a minute old
    assert api.get("/api/v1/clients/?is_active=true").json()["count"] == len(before) + 1  # a filter counts apart
    seen, pages = _every_page(api, "/api/v1/clients/")
    assert sorted(seen) == sorted(before | {added.pk})  # the pages are current: nothing hidden
    assert api.get(f"/api/v1/clients/?page={len(before) + 1}").status_code == 200  # past the kept count
    long_lists[0] += 61
    assert api.get("/api/v1/clients/").json()["count"] == len(before) + 1
    with rows.context():
        Client.objects.filter(pk=added.pk).delete()
    assert api.get(f"/api/v1/clients/?page={len(before) + 1}").status_code == 404  # counted again: gone


def test_the_api_document_says_how_current_a_count_is():
    from tenancy.api_rows import ListPagination

    schema = ListPagination().get_paginated_response_schema({"type": "array"})
    assert "10,000" in schema["properties"]["count"]["description"]
