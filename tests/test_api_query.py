"""Every list of the API takes exactly the query parameters its OpenAPI document gives (and DRF's
`format`): a parameter it does not take — a filter's name mistyped — is a 400 naming it, never the
whole list as if it had been filtered (issue 11's bad input: "never a silent full scan"). The lists
are read from the OpenAPI document, so a new list is covered."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve

from tenancy import api_query
from tests.contracts.api_support import assert_error, draft_contract
from tests.support.openapi import REQUIRED_QUERY as NEEDS
from tests.support.openapi import openapi_document

pytestmark = pytest.mark.django_db

def _lists() -> dict[str, set[str]]:
    """Each list of the document (its `list` action) and the query parameters the document gives it."""
    document = openapi_document()
    return {path: {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
            for path, operations in document["paths"].items()
            if "get" in operations and getattr(resolve(_filled(path, 1)).func, "actions", {}).get("get") == "list"}


def _filled(path: str, contract_id: int) -> str:
    return re.sub(r"\{contract_id\}", str(contract_id), path)


def test_the_lists_are_found(db):
    lists = _lists()
    assert len(lists) >= 30
    assert {"/api/v1/orders/", "/api/v1/acts/", "/api/v1/action-items/", "/api/v1/audit/events/",
            "/api/v1/contracts/{contract_id}/sla-metrics/"} <= set(lists)


def test_every_list_takes_exactly_what_its_document_gives(world_a, api_as):
    """Both ways: nothing documented is refused, nothing undocumented is taken (but `format`)."""
    api, contract = api_as(world_a), draft_contract(world_a)
    for path, documented in _lists().items():
        answer = api.get(_filled(path, contract.pk), NEEDS.get(path, {}))
        assert answer.status_code == 200, (path, answer.content[:300])
        taken = api_query._known[resolve(_filled(path, 1)).func.cls]  # what the list took this request by
        assert taken - {"format"} == documented - {"format"}, path


def test_an_unknown_parameter_is_a_400_naming_it_on_every_list(world_a, api_as):
    api, contract = api_as(world_a), draft_contract(world_a)
    for path in _lists():
        body = assert_error(api.get(_filled(path, contract.pk), {**NEEDS.get(path, {}), "stat": "open"}), 400)
        assert [error["field"] for error in body["errors"]] == ["stat"], path


@pytest.mark.parametrize(("language", "words"), [("en", "takes no parameter “stat”"), ("ru", "нет параметра «stat»")])
def test_the_400_names_the_parameter_and_what_the_list_takes(world_a, api_as, language, words):
    body = assert_error(api_as(world_a).get("/api/v1/orders/", {"stat": "open", "state": "new"},
                                            HTTP_ACCEPT_LANGUAGE=language), 400)
    assert [error["field"] for error in body["errors"]] == ["stat"]
    assert words in body["message"] and "state" in body["message"] and "cursor" in body["message"]


def test_each_unknown_parameter_is_named(world_a, api_as):
    body = assert_error(api_as(world_a).get("/api/v1/contracts/", {"contract_id": "7", "sate": "active"}), 400)
    assert sorted(error["field"] for error in body["errors"]) == ["contract_id", "sate"]


def test_what_the_lists_take_is_still_taken(world_a, api_as):
    api = api_as(world_a)
    assert api.get("/api/v1/contracts/", {"start_date__gte": "2026-01-01", "end_date__isnull": "false",
                                          "format": "json", "page_size": "5"}).status_code == 200
    assert api.get("/api/v1/reviews/", {"meeting_from": "2026-01-01", "meeting_to": "2026-12-31"}).status_code == 200
    # the cursor list answers its page number itself, saying how it pages
    body = assert_error(api.get("/api/v1/orders/", {"page": "2"}), 400)
    assert "cursor" in body["message"]


def _reads() -> dict[str, set[str]]:
    """Every GET of the document that is not a list (an object, a list under an object, a file) and
    the query parameters the document gives it."""
    document = openapi_document()
    found = {}
    for path, operations in document["paths"].items():
        func = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
        if "get" in operations and getattr(func, "actions", {}).get("get") not in (None, "list"):
            found[path] = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
    return found


def test_every_other_read_takes_exactly_what_its_document_gives(rf):
    reads = _reads()
    assert len(reads) >= 40
    assert {"/api/v1/orders/{id}/", "/api/v1/orders/{id}/events/", "/api/v1/reviews/{id}/report/",
            "/api/v1/invoices/export/"} <= set(reads)
    for path, documented in reads.items():
        func = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
        view = func.cls(**func.initkwargs)
        view.action, view.request, view.format_kwarg = func.actions["get"], rf.get(path), None
        assert api_query.read_parameters(view) - {"format"} == documented - {"format"}, path


def test_an_unknown_parameter_is_a_400_naming_it_on_every_other_read(world_a, api_as):
    """Checked before the object is looked up: any id will do."""
    api = api_as(world_a)
    for path in _reads():
        answer = api.get(re.sub(r"\{[^}]+\}", "1", path), {"stat": "open"})
        body = assert_error(answer, 400)
        assert [error["field"] for error in body["errors"]] == ["stat"], path
        assert "takes no parameter" in body["message"], path


def test_an_object_and_the_lists_under_it_take_what_they_document(world_a, api_as):
    api, contract = api_as(world_a), draft_contract(world_a)
    assert api.get(f"/api/v1/contracts/{contract.pk}/", {"format": "json"}).status_code == 200
    assert api.get(f"/api/v1/contracts/{contract.pk}/events/", {"page": "1", "page_size": "5"}).status_code == 200
    body = assert_error(api.get(f"/api/v1/contracts/{contract.pk}/events/", {"event": "activated"},
                                HTTP_ACCEPT_LANGUAGE="ru"), 400)
    assert "page_size" in body["message"] and "«event»" in body["message"]
    body = assert_error(api.get(f"/api/v1/contracts/{contract.pk}/", {"utm_source": "mail"}), 400)
    assert body["errors"][0]["field"] == "utm_source" and "takes none" in body["message"]


def test_the_key_is_checked_before_the_parameters(client):
    assert client.get("/api/v1/orders/", {"stat": "open"}).status_code in (401, 403)


def test_a_range_filter_takes_both_halves():
    """A filter of two inputs (`DateFromToRangeFilter`, `RangeFilter`) takes its suffixed names, as the
    OpenAPI document gives them."""
    import django_filters
    from rest_framework.filters import SearchFilter

    from contracts.models import Contract
    from tenancy.api_input import ApiFilterBackend

    class Ranges(django_filters.FilterSet):
        start = django_filters.DateFromToRangeFilter(field_name="start_date")
        value = django_filters.RangeFilter(field_name="id")
        state = django_filters.CharFilter()

        class Meta:
            model = Contract
            fields: list = []

    class View:
        filter_backends = [ApiFilterBackend, SearchFilter]
        filterset_class = Ranges
        paginator = None

        def get_queryset(self):
            return Contract._base_manager.none()

    assert api_query.list_parameters(View()) == {"start_after", "start_before", "value_min", "value_max", "state",
                                                 "search", "format"}


def test_search_is_taken_only_where_the_list_searches(world_a, api_as):
    """DRF offered `?search=` on every list and ignored it where nothing is searched: the whole list."""
    api = api_as(world_a)
    body = assert_error(api.get("/api/v1/breaches/", {"search": "B-1"}), 400)
    assert [error["field"] for error in body["errors"]] == ["search"]
    assert api.get("/api/v1/contracts/", {"search": "zzzz"}).json()["count"] == 0
    assert api.get("/api/v1/orders/", {"search": "zzzz"}).json()["results"] == []
