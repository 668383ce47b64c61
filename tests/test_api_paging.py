"""Every page-number list of the API reads `?page=` and `?page_size=` strictly (issue 11's bad input):
a page size of 0, −1, 10,000 or a word, a page number that is not a whole number from 1, are a 400
naming the parameter; a page past the end is a 404; `page_size` 1–200 gives pages of that size, and
its `next` link keeps it. The lists are read from the OpenAPI document, so a new list is covered."""

from __future__ import annotations

import pytest

from tests.contracts.api_support import assert_error
from tests.support.openapi import REQUIRED_QUERY as NEEDS
from tests.support.openapi import openapi_document

pytestmark = pytest.mark.django_db

def _page_lists() -> list[str]:
    document = openapi_document()
    return sorted(path for path, operations in document["paths"].items()
                  if "{" not in path and "get" in operations
                  and {p["name"] for p in operations["get"].get("parameters", [])} >= {"page", "page_size"})


def test_the_page_number_lists_are_found(db):
    lists = _page_lists()
    assert len(lists) >= 20
    assert "/api/v1/acts/" in lists and "/api/v1/action-items/" in lists and "/api/v1/orders/" not in lists


BAD_SIZES = ["0", "-1", "10000", "201", "abc", "1.5", " "]
BAD_NUMBERS = ["0", "-1", "abc", "1e3", "2.0", "last2"]


@pytest.mark.parametrize(("param", "values"), [("page_size", BAD_SIZES), ("page", BAD_NUMBERS)])
def test_a_bad_page_parameter_is_a_400_naming_it_on_every_list(world_a, api_as, param, values):
    """Every list once, the bad values in turn; every bad value on one list."""
    api = api_as(world_a)
    lists = _page_lists()
    cases = [(path, values[n % len(values)]) for n, path in enumerate(lists)]
    cases += [("/api/v1/acts/", value) for value in values]
    for path, value in cases:
        body = assert_error(api.get(path, {**NEEDS.get(path, {}), param: value}), 400)
        assert [error["field"] for error in body["errors"]] == [param], (path, value)


@pytest.mark.parametrize(("language", "words"), [("en", "no page 9999"), ("ru", "нет страницы 9999")])
def test_a_page_past_the_end_is_a_404_naming_the_page(world_a, api_as, language, words):
    body = assert_error(api_as(world_a).get("/api/v1/contracts/", {"page": "9999"}, HTTP_ACCEPT_LANGUAGE=language), 404)
    assert words in body["message"]


@pytest.mark.parametrize(("language", "words"), [("en", "from 1 to 200"), ("ru", "от 1 до 200 строк")])
def test_the_400s_speak_the_callers_language(world_a, api_as, language, words):
    body = assert_error(api_as(world_a).get("/api/v1/acts/", {"page_size": "0"}, HTTP_ACCEPT_LANGUAGE=language), 400)
    assert words in body["message"]


def test_page_size_pages_the_list_and_the_next_link_keeps_it(world_a, api_as):
    api = api_as(world_a)
    everything = api.get("/api/v1/members/", {"page_size": 200}).json()  # the world's people, one a role
    assert everything["count"] >= 2 and len(everything["results"]) == everything["count"]
    seen, url = [], "/api/v1/members/?page_size=1"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) == 1
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
        assert url is None or "page_size=1" in url
    assert seen == [row["id"] for row in everything["results"]]
    last = api.get("/api/v1/members/", {"page_size": 1, "page": "last"}).json()
    assert last["next"] is None and [row["id"] for row in last["results"]] == seen[-1:]


def test_the_document_describes_both_parameters(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/acts/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_cursor_list_refuses_a_page_number_rather_than_repeat_its_first_page(world_a, api_as, language):
    """A client that pages the other lists by number would read the orders' first page for ever."""
    body = assert_error(api_as(world_a).get("/api/v1/orders/", {"page": "2"}, HTTP_ACCEPT_LANGUAGE=language), 400)
    assert [error["field"] for error in body["errors"]] == ["page"]
    assert "cursor" in body["message"]
    assert api_as(world_a).get("/api/v1/orders/", {"page": ""}).status_code == 200
