"""The API's edges: authentication, scopes, malformed requests, unknown paths, the OpenAPI document."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from contracts.models import Client
from tenancy.models import ApiKey, Membership
from tenancy.services import api_key_revoke
from tests.contracts.api_support import assert_error

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def bearer(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_missing_auth_is_401_with_the_scheme_named(world_a):
    response = APIClient().get(CLIENTS)
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer two words",
    "Bearer ck_1_not-a-real-secret",
    "Bearer garbage",
    "Bearer ck_notanumber_secret",
])
def test_malformed_or_unknown_keys_are_401(world_a, header):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api.get(CLIENTS), 401)


def test_a_revoked_key_stops_working_at_once(world_a, api_key_for):
    raw = api_key_for(world_a)
    api = bearer(raw)
    assert api.get(CLIENTS).status_code == 200
    with world_a.context(user=world_a.admin):
        key = ApiKey.objects.get()
        api_key_revoke(actor=world_a.admin, key=key)
    assert_error(api.get(CLIENTS), 401)


def test_a_key_dies_with_its_creators_membership(world_a, api_key_for):
    raw = api_key_for(world_a, user=world_a.account_manager)
    with world_a.context():
        Membership.objects.filter(user=world_a.account_manager, tenant=world_a.tenant).update(is_active=False)
    assert_error(bearer(raw).get(CLIENTS), 401)


def test_a_key_of_one_tenant_cannot_be_bent_to_another(world_a, world_b, api_key_for):
    raw = api_key_for(world_a)
    # the tenant id is part of the key; swapping it breaks the key rather than switching tenant
    _, tenant_id, secret = raw.split("_", 2)
    forged = f"ck_{world_b.tenant.pk}_{secret}"
    assert_error(bearer(forged).get(CLIENTS), 401)


def test_a_read_only_key_reads_but_may_not_write(world_a, api_as):
    api = api_as(world_a, scopes=("read",))
    assert api.get(CLIENTS).status_code == 200
    body = assert_error(api.post(CLIENTS, {"name": "Nope"}, format="json"), 403)
    assert "write" in body["message"]
    with world_a.context():
        assert not Client.objects.filter(name="Nope").exists()


def test_a_write_only_key_may_not_read(world_a, api_as):
    api = api_as(world_a, scopes=("write",))
    assert_error(api.get(CLIENTS), 403)


def test_malformed_json_is_400_and_writes_nothing(world_a, api_as):
    api = api_as(world_a)
    response = api.post(CLIENTS, data='{"name": "Half', content_type="application/json")
    assert_error(response, 400, code="parse_error")
    with world_a.context():
        assert not Client.objects.filter(name__startswith="Half").exists()


def test_a_body_that_is_not_an_object_is_400(world_a, api_as):
    response = api_as(world_a).post(CLIENTS, data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_unknown_api_paths_answer_in_json(world_a, api_as):
    api = api_as(world_a)
    assert_error(api.get("/api/v1/no-such-thing/"), 404, code="not_found")
    body = assert_error(api.get("/api/v1/clients"), 404)
    assert "slash" in body["message"]


def test_unsupported_methods_are_405_in_json(world_a, api_as):
    assert_error(api_as(world_a).delete(f"{CLIENTS}{world_a.client.pk}/"), 405)


def test_the_openapi_document_describes_the_api(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/v1/clients/", "/api/v1/providers/", "/api/v1/contracts/",
                 "/api/v1/contracts/{id}/", "/api/v1/contracts/{id}/activate/"):
        assert path in paths, sorted(paths)
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values()), schemes


def test_the_api_docs_render_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html and "unpkg" not in html


# --- hostile input: never a 500 ---------------------------------------------------------------

HUGE = "99999999999999999999999999"


@pytest.mark.parametrize("header", [
    "Bearer ck_9223372036854775808_x",  # a tenant id beyond bigint
    "Bearer ck_\xc2\xb2_x",  # "²" in UTF-8, as a WSGI server hands it over (latin-1)
    "Bearer ck_99999999999999999999999999_secret",
    "Bearer ck_1_" + "x" * 5000,
])
def test_a_key_no_database_column_could_hold_is_401_not_500(world_a, header):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api.get(CLIENTS), 401)


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/contracts/", "client"),
    ("/api/v1/orders/", "contract"),
    ("/api/v1/breaches/", "order"),
    ("/api/v1/breaches/", "contract"),
    ("/api/v1/contract-roles/", "user"),
    ("/api/v1/invoices/", "contract"),
    ("/api/v1/acts/", "contract"),
])
@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "9223372036854775808", "²", "١٢", "1e400"])
def test_id_filters_beyond_bigint_or_in_other_digits_are_400_naming_the_filter(world_a, api_as, path, field, value):
    body = assert_error(api_as(world_a).get(path, {field: value}), 400)
    assert body["errors"][0]["field"] == field


def test_an_id_filter_in_range_still_filters(world_a, api_as):
    response = api_as(world_a).get("/api/v1/breaches/", {"order": "12"})
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.parametrize("path", [f"{CLIENTS}{HUGE}/", f"{CLIENTS}²/", f"/api/v1/orders/{HUGE}/events/"])
def test_ids_in_paths_beyond_bigint_are_404(world_a, api_as, path):
    assert_error(api_as(world_a).get(path), 404)


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000,
                                  '{"name": ' + "[" * 40 + "]" * 40 + "}"])
def test_a_json_body_nested_too_deep_is_400(world_a, api_as, body):
    response = api_as(world_a).post(CLIENTS, data=body, content_type="application/json")
    assert_error(response, 400, code="parse_error")


def test_a_10_mb_json_body_is_413_in_the_api_error_shape(world_a, api_as):
    body = '{"name": "' + "x" * (10 * 1024 * 1024) + '"}'
    response = api_as(world_a).post(CLIENTS, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"


def test_a_body_declared_beyond_the_api_limit_is_413_before_it_is_read(world_a, api_as, settings):
    settings.API_MAX_REQUEST_BYTES = 1000
    response = api_as(world_a).post(CLIENTS, data={"name": "x" * 2000}, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"


@pytest.mark.parametrize("deadline", ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", "1999-12-31T12:00:00Z",
                                      "2101-01-01T00:00:00Z"])
def test_an_order_deadline_outside_the_sane_range_is_refused_naming_the_field(world_a, api_as, deadline):
    from tests.contracts.api_support import active_contract

    contract = active_contract(world_a)
    response = api_as(world_a).post("/api/v1/orders/", {"contract": contract.pk, "title": "Far away",
                                                        "desired_deadline": deadline}, format="json")
    body = assert_error(response, 400)
    assert body["errors"][0]["field"] == "desired_deadline"
    assert "2000-01-01" in body["errors"][0]["message"]


def test_contract_dates_outside_the_sane_range_are_refused(world_a, api_as):
    response = api_as(world_a).post("/api/v1/contracts/", {
        "number": "FAR-1", "title": "Far", "client": world_a.client.pk, "provider": world_a.own_provider.pk,
        "start_date": "2026-01-01", "end_date": "9999-12-31",
    }, format="json")
    body = assert_error(response, 400)
    assert [e["field"] for e in body["errors"]] == ["end_date"]


def test_texts_longer_than_the_limit_are_refused_naming_the_field(world_a, api_as):
    from tenancy.bounds import TEXT_MAX_LENGTH

    response = api_as(world_a).post(CLIENTS, {"name": "Long", "address": "x" * (TEXT_MAX_LENGTH + 1)}, format="json")
    body = assert_error(response, 400)
    assert body["errors"][0]["field"] == "address"
