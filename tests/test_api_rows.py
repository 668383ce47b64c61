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
