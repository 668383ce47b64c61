"""Whatever a client sends to the governance endpoints (amendments, contract versions, disputes, the
audit trail) — wrong types, nulls, nested objects, huge numbers, long strings, junk query
parameters — the answer is never a 500; refused input is a 4xx and saves nothing."""

from __future__ import annotations

import pytest

from contracts.models import Amendment
from disputes.models import Dispute
from tests.disputes.support import contract_of, open_dispute

pytestmark = pytest.mark.django_db

JUNK = [None, "", "x" * 10_000, -1, 10**30, 1.5e308, True, [], [1, 2], {}, {"a": {"b": [None]}}, "2026-13-45",
        "0000-00-00", "\u0000", "'; DROP TABLE x; --", "NaN", "Infinity", "1e9999"]
FIELDS = {
    "amendments": ["contract", "effective_date", "reason", "changes"],
    "disputes": ["contract", "kind", "title", "description", "act", "invoice_line", "claimed_amount",
                 "stage_deadline"],
}


def _valid(world, contract) -> dict:
    return {
        "amendments": {"contract": contract.pk, "effective_date": "2999-01-01", "reason": "fuzz",
                       "changes": {"monthly_fee": "1.00"}},
        "disputes": {"contract": contract.pk, "kind": "complaint", "title": "fuzz"},
    }


def _assert_client_error(response, where):
    assert 400 <= response.status_code < 500, (where, response.status_code, response.content[:300])


def test_junk_in_every_field_of_a_new_amendment_or_dispute_is_a_4xx_and_saves_nothing(world_a, api_as):
    contract = contract_of(world_a)
    api = api_as(world_a, world_a.account_manager)
    valid = _valid(world_a, contract)
    for resource, fields in FIELDS.items():
        for field in fields:
            for junk in JUNK:
                body = {**valid[resource], field: junk}
                if resource == "amendments" and field == "effective_date" and junk is None:
                    continue
                response = api.post(f"/api/v1/{resource}/", body, format="json")
                if response.status_code in (200, 201):  # a string a text field may legitimately take
                    continue
                _assert_client_error(response, (resource, field, repr(junk)[:40]))
        for raw in [b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b'{"changes": ' + b"[" * 5000 + b"]" * 5000 + b"}"]:
            response = api.post(f"/api/v1/{resource}/", raw, content_type="application/json")
            _assert_client_error(response, (resource, raw[:20]))
    with world_a.context():
        assert not Amendment.objects.filter(reason="fuzz").exists()


def test_junk_actions_and_query_parameters_are_4xx(world_a, api_as):
    contract = contract_of(world_a)
    dispute = open_dispute(world_a, contract)
    manager = api_as(world_a, world_a.account_manager)
    admin = api_as(world_a, world_a.admin)
    for junk in JUNK:
        for url, body in [
            (f"/api/v1/disputes/{dispute.pk}/resolve/", {"compensation": junk, "note": junk}),
            (f"/api/v1/disputes/{dispute.pk}/deadline/", {"stage_deadline": junk}),
            (f"/api/v1/disputes/{dispute.pk}/comments/", {"body": junk}),
            (f"/api/v1/disputes/{dispute.pk}/withdraw/", {"note": junk}),
            ("/api/v1/amendments/999999999999999999999/agree/", {"password": junk}),
        ]:
            response = manager.post(url, body, format="json")
            if response.status_code < 300:
                continue  # e.g. a comment that is just a long text
            _assert_client_error(response, (url, repr(junk)[:40]))
    for value in ["abc", "-1", "99999999999999999999999", "1e5", "", "%00", "2026-02-30", "x" * 5000]:
        for url in [f"/api/v1/disputes/?contract={value}", f"/api/v1/disputes/?state={value}",
                    f"/api/v1/disputes/?ordering={value}", f"/api/v1/amendments/?contract={value}",
                    f"/api/v1/amendments/?state={value}", f"/api/v1/contract-versions/?contract={value}",
                    f"/api/v1/disputes/{value}/", f"/api/v1/amendments/{value}/",
                    f"/api/v1/contract-versions/{value}/"]:
            response = manager.get(url)
            assert response.status_code < 500, (url[:80], response.status_code)
        for url in [f"/api/v1/audit/events/?from={value}&to={value}", f"/api/v1/audit/events/?contract={value}",
                    f"/api/v1/audit/events/?format={value}"]:
            response = admin.get(url)
            assert response.status_code < 500, (url[:80], response.status_code)
    with world_a.context():
        assert Dispute.objects.get(pk=dispute.pk).state == "negotiation"
