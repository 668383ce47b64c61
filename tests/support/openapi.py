"""The API's OpenAPI document as the tests read it, and the query each list needs to answer 200."""

from __future__ import annotations

from django.test import Client

# lists with required parameters: what each needs (`{contract_id}` is filled by the caller)
REQUIRED_QUERY = {
    "/api/v1/audit/events/": {"from": "2026-01-01", "to": "2026-01-31"},
    "/api/v1/accounting/export/": {"period": "2026-01"},
    "/api/v1/contracts/{contract_id}/sla-metrics/": {"from": "2026-01-01", "to": "2026-01-31"},
}


def openapi_document() -> dict:
    return Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
