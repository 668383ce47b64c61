"""Every list of the API answers in the shape its OpenAPI document gives: a page (`results`, with
`next`) where the document says the list is paged, a JSON array where it says an array — so a
client generated from the document reads the answer. Found: the review's action items were documented
as a page with the reviews' filters while the endpoint answers the whole plan as an array."""

from __future__ import annotations

import re

import pytest

from tests.query_counts_support import Scene
from tests.support.openapi import openapi_document
from tests.test_query_counts import _api_url, api_lists

pytestmark = pytest.mark.django_db


def _operation(document: dict, path: str) -> dict:
    for template, operations in document["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return operations["get"]
    raise AssertionError(f"{path} is not in the document")


def test_every_list_answers_in_its_documented_shape(world_a, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    scene = Scene(world_a)
    scene.grow(2)
    document, api = openapi_document(), api_as(world_a, world_a.admin)
    checked = 0
    for basename, action in api_lists():
        url = _api_url(scene, basename, action)
        answer = api.get(url)
        assert answer.status_code == 200, (url, answer.content[:300])
        if not answer["Content-Type"].startswith("application/json"):
            continue
        operation = _operation(document, url.split("?")[0])
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        paged = schema.get("$ref", "").startswith("#/components/schemas/Paginated")
        body = answer.json()
        if paged:
            assert isinstance(body, dict) and "results" in body and "next" in body, url
        elif schema.get("type") == "array":
            assert isinstance(body, list), url
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert documented == set(), f"{url}: an array documents no page or filter, yet {documented}"
        checked += 1
    assert checked >= 30
