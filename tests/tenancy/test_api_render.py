"""tenancy.api_render.JSONRenderer writes the bytes DRF's renderer writes: with orjson for plain JSON,
through DRF for everything else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail

from tenancy.api_render import JSONRenderer
from tests.factories import ContractFactory, OrderFactory

ours, drf = JSONRenderer(), renderers.JSONRenderer()

plain = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(plain)
def test_plain_json_is_the_same_bytes(data):
    assert ours.render(data) == drf.render(data)


@pytest.mark.parametrize("text", ["line\u2028separator", "para\u2029graph", "Заказ «№1»", 'quote " back \\ \x00\x1f'])
def test_the_characters_drf_escapes_are_escaped_the_same(text):
    data = {"title": text, "list": [text]}
    assert ours.render(data) == drf.render(data)


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("value", [
    dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC),
    dt.date(2026, 12, 31),
    dt.timedelta(hours=3),
    Decimal("1234.50"),
    gettext_lazy("Draft"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    2**64,
    -(2**63) - 1,
    {1: "a non-string key"},
    ErrorDetail("This field is required.", code="required"),
    b"bytes",
])
def test_anything_else_is_drfs_answer(value):
    data = {"results": [{"value": value}]}
    assert ours.render(data) == drf.render(data)


def test_what_drf_cannot_write_fails_as_in_drf():
    with pytest.raises(TypeError):
        drf.render({"point": Point(1)})
    with pytest.raises(TypeError):
        ours.render({"point": Point(1)})


def test_floats_are_the_same_number():
    data = {"share": [0.1, 1.5, 99.99, 1e16, 1.5e-7, -0.0]}
    assert json.loads(ours.render(data)) == json.loads(drf.render(data))


def test_an_indented_answer_and_no_data_are_drfs():
    data = {"a": [1, 2]}
    assert ours.render(data, "application/json; indent=4") == drf.render(data, "application/json; indent=4")
    assert ours.render(None) == drf.render(None) == b""


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/contracts/", "/api/v1/clients/", "/api/v1/orders/0/",
                                  "/api/v1/orders/?ordering=nonsense"])
def test_the_api_answers_with_it(world_a, api_as, path):
    with world_a.context():
        contract = ContractFactory(tenant=world_a.tenant, client=world_a.client, title="Сервис «Север»\u2028")
        OrderFactory(tenant=world_a.tenant, contract=contract, title="Принтер\u2029")
    response = api_as(world_a).get(path)
    assert response.status_code in (200, 400, 404)
    assert response.accepted_renderer.__class__ is JSONRenderer
    assert response.content == drf.render(response.data)
