"""The reviews API: transitions, report in three formats, action items, confirmation, SLA metrics of a
contract; tenant B gets 404 for everything of tenant A; bad input is a 4xx."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.clock import local_today
from tests.contracts.api_support import assert_error
from tests.reviews.support import new_review, report_fixture, session_as

REVIEWS = "/api/v1/reviews/"


@pytest.fixture
def fixture(world_a):
    return report_fixture(world_a)


@pytest.fixture
def review(world_a, fixture):
    return new_review(world_a, fixture.contract, fixture.start, fixture.end)


def test_the_procedure_through_the_api(world_a, review, api_as, password):
    api = api_as(world_a, world_a.account_manager)
    today = local_today(world_a.tenant)
    assert api.post(f"{REVIEWS}{review.pk}/prepare/").json()["state"] == "prepared"
    body = api.get(f"{REVIEWS}{review.pk}/report/").json()
    assert body["compliance"]["response"]["pct"] == 75.0
    assert api.get(f"{REVIEWS}{review.pk}/report/?format=csv").content.startswith(b"section,item,value")
    assert api.get(f"{REVIEWS}{review.pk}/report/?format=pdf&lang=ru").content.startswith(b"%PDF")
    response = api.post(f"{REVIEWS}{review.pk}/hold/", {"held_on": today.isoformat(), "provider_attendees": "A",
                                                       "client_attendees": "B", "minutes": "M"}, format="json")
    assert response.json()["state"] == "held", response.content
    response = api.post(f"{REVIEWS}{review.pk}/items/", {"what": "Fix", "owner": world_a.client_admin.pk,
                                                        "due_date": (today + dt.timedelta(days=5)).isoformat()},
                        format="json")
    assert response.status_code == 201, response.content
    assert api.post(f"{REVIEWS}{review.pk}/close/").json()["state"] == "closed"
    assert_error(api.post(f"{REVIEWS}{review.pk}/close/"), 409)
    signatory = session_as(world_a.client_signatory)
    assert_error(signatory.post(f"{REVIEWS}{review.pk}/confirm/", {"password": "bad", "consent": True},
                                format="json"), 400, field="password")
    assert signatory.post(f"{REVIEWS}{review.pk}/confirm/", {"password": password, "consent": True},
                          format="json").json()["confirmed_at"]
    assert_error(signatory.post(f"{REVIEWS}{review.pk}/confirm/", {"password": password, "consent": True},
                                format="json"), 409)


def test_bad_input_is_a_4xx(world_a, fixture, review, api_as):
    api = api_as(world_a, world_a.account_manager)
    future = (local_today(world_a.tenant) + dt.timedelta(days=10)).isoformat()
    assert_error(api.post(REVIEWS, {"contract": fixture.contract.pk, "kind": "quarterly",
                                    "period_start": fixture.start.isoformat(), "period_end": future}, format="json"),
                 400, field="period_end")
    assert_error(api.post(REVIEWS, {"contract": fixture.contract.pk, "kind": "quarterly",
                                    "period_start": fixture.start.isoformat(), "period_end": fixture.end.isoformat()},
                          format="json"), 400, code="duplicate")
    assert_error(api.post(f"{REVIEWS}{review.pk}/hold/", {"held_on": "x"}, format="json"), 400)
    assert_error(api.get(f"/api/v1/contracts/{fixture.contract.pk}/sla-metrics/?from=2026-13-01&to=x"), 400)
    metrics = f"/api/v1/contracts/{fixture.contract.pk}/sla-metrics/"
    assert_error(api.get(f"{metrics}?from=x&to={fixture.end}"), 400, field="from")  # the parameter's own name
    assert_error(api.get(f"{metrics}?from={fixture.start}&to=9999-12-31"), 400, field="to")
    assert_error(api.get(f"{metrics}?from={fixture.end}&to={fixture.start}"), 400, field="to")
    assert_error(api.get(f"{REVIEWS}99999999999999999999999/"), 404)


def test_sla_metrics_of_a_contract_for_a_range(world_a, fixture, api_as):
    url = f"/api/v1/contracts/{fixture.contract.pk}/sla-metrics/?from={fixture.start}&to={fixture.end}"
    body = api_as(world_a, world_a.engineer, scopes=("read",)).get(url).json()
    assert body["orders"]["raised_total"] == 4 and body["breaches"]["total"] == 2


def test_another_tenant_gets_404_everywhere(world_a, world_b, fixture, review, api_as):
    stranger = api_as(world_b, world_b.admin)
    assert stranger.get(REVIEWS).json()["count"] == 0
    for url in ("", "report/", "report/?format=pdf", "report/?format=csv", "items/"):
        assert_error(stranger.get(f"{REVIEWS}{review.pk}/{url}"), 404)
    for name in ("prepare", "refresh", "close", "cancel", "hold", "items", "item-transition"):
        assert_error(stranger.post(f"{REVIEWS}{review.pk}/{name}/", {}, format="json"), 404)
    assert_error(stranger.get(f"/api/v1/contracts/{fixture.contract.pk}/sla-metrics/?from={fixture.start}"
                              f"&to={fixture.end}"), 404)
    assert_error(session_as(world_b.client_signatory).post(f"{REVIEWS}{review.pk}/confirm/",
                                                           {"password": "x", "consent": True}, format="json"), 404)


def test_a_client_user_sees_only_their_client_and_cannot_manage(world_a, review, api_as):
    from tests.factories import ClientFactory, MembershipFactory, UserFactory
    other = UserFactory(username="api_other_client")
    MembershipFactory(tenant=world_a.tenant, user=other, role="client_admin",
                      client=ClientFactory(tenant=world_a.tenant, name="API other client"))
    assert_error(session_as(other).get(f"{REVIEWS}{review.pk}/"), 404)
    assert session_as(other).get(REVIEWS).json()["count"] == 0
    own = session_as(world_a.client_admin)
    assert own.get(REVIEWS).json()["count"] == 1
    assert_error(own.post(f"{REVIEWS}{review.pk}/prepare/"), 403)
