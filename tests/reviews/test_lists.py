"""Finding reviews among a year of them: the reviews page filters by state, kind, contract and open
action items and sorts by its columns (the portal's page too, without the contract filter); the API
filters, searches and sorts, and refuses a bad value with a 400 naming the parameter. Another
tenant's or client's reviews never show, whatever the filter."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from reviews.models import ActionItem, Review
from tests.clock import add_months, local_today, month_of
from tests.contracts.api_support import assert_error
from tests.factories import ClientFactory
from tests.reviews.support import reviewed_contract, session_as

REVIEWS = "/api/v1/reviews/"
pytestmark = pytest.mark.django_db


def browser(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def review_row(world, contract, *, months_ago: int, kind="quarterly", state="scheduled", meeting_days=10,
               open_items=0, done_items=0) -> Review:
    """A review of the month `months_ago` before this one, made as a row (services need an ended
    period of an active contract; the lists read rows)."""
    start, end = month_of(add_months(local_today(world.tenant), -months_ago))
    with world.context():
        review = Review.objects.create(contract=contract, client=contract.client, kind=kind, period_start=start,
                                       period_end=end, proposed_meeting_date=end + dt.timedelta(days=meeting_days),
                                       state=state)
        for n in range(open_items + done_items):
            ActionItem.objects.create(review=review, what=f"Point {n}", state="open" if n < open_items else "done")
    return review


@pytest.fixture
def year(world_a):
    """Reviews of two contracts of two clients over a year, of both kinds and several states."""
    alpha = reviewed_contract(world_a, number="REV-ALPHA")
    other_client = ClientFactory(tenant=world_a.tenant, name="Beta Holding")
    beta = reviewed_contract(world_a, number="REV-BETA", client=other_client)
    return {
        "alpha-1": review_row(world_a, alpha, months_ago=1, state="scheduled", meeting_days=5),
        "alpha-4": review_row(world_a, alpha, months_ago=4, state="closed", open_items=2, done_items=1),
        "alpha-7": review_row(world_a, alpha, months_ago=7, state="closed", done_items=2),
        "beta-2": review_row(world_a, beta, months_ago=2, kind="annual", state="held", open_items=1, meeting_days=20),
        "beta-5": review_row(world_a, beta, months_ago=5, state="cancelled"),
        "alpha": alpha, "beta": beta,
    }


def shown(response) -> list[int]:
    return [review.pk for review in response.context["page"]]


def ids(*reviews) -> list[int]:
    return [review.pk for review in reviews]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_reviews_page_filters_and_sorts(world_a, year, language):
    manager = browser(world_a.account_manager, language)
    every = manager.get("/reviews/")
    assert every.status_code == 200
    assert shown(every) == ids(year["alpha-1"], year["beta-2"], year["alpha-4"], year["beta-5"], year["alpha-7"])
    assert shown(manager.get("/reviews/", {"state": "closed"})) == ids(year["alpha-4"], year["alpha-7"])
    assert shown(manager.get("/reviews/", {"kind": "annual"})) == ids(year["beta-2"])
    assert shown(manager.get("/reviews/", {"contract": year["beta"].pk})) == ids(year["beta-2"], year["beta-5"])
    assert shown(manager.get("/reviews/", {"open_items": "on"})) == ids(year["beta-2"], year["alpha-4"])
    both = manager.get("/reviews/", {"contract": year["alpha"].pk, "open_items": "on", "sort": "period"})
    assert shown(both) == ids(year["alpha-4"])
    oldest = manager.get("/reviews/", {"sort": "period"})
    assert shown(oldest) == ids(year["alpha-7"], year["beta-5"], year["alpha-4"], year["beta-2"], year["alpha-1"])
    assert shown(manager.get("/reviews/", {"sort": "-items"}))[:2] == ids(year["alpha-4"], year["beta-2"])
    meeting_of = {review.pk: review.proposed_meeting_date for review in year.values() if isinstance(review, Review)}
    meeting = shown(manager.get("/reviews/", {"sort": "meeting"}))
    assert meeting == sorted(meeting, key=meeting_of.__getitem__)
    html = manager.get("/reviews/", {"state": "closed"}).content.decode()
    link = re.search(r'aria-sort="none"><a href="([^"]+)"[^>]*>' + ("Договор" if language == "ru" else "Contract"),
                     html)
    assert link and "state=closed" in link.group(1) and "sort=contract" in link.group(1)
    empty = manager.get("/reviews/", {"kind": "annual", "state": "closed"}).content.decode()
    assert ("Нет обзоров, подходящих под эти фильтры." if language == "ru" else "No reviews match these filters.") in empty


def test_bad_filters_on_the_page_show_every_review_and_say_why(world_a, year):
    manager = browser(world_a.account_manager)
    for params in ({"state": "bogus"}, {"kind": "x"}, {"contract": "abc"}, {"contract": "99999999999999999999"},
                   {"sort": "password"}, {"page": "-1"}, {"sort": "-x"}):
        response = manager.get("/reviews/", params)
        assert response.status_code == 200, params
        assert len(shown(response)) == 5, params
    html = manager.get("/reviews/", {"state": "bogus"}).content.decode()
    assert 'class="field field-select has-error"' in html and "errorlist" in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_portal_lists_only_the_clients_reviews_without_a_contract_filter(world_a, year, language):
    own = browser(world_a.client_admin, language)
    response = own.get("/portal/reviews/", {"sort": "period"})
    assert response.status_code == 200
    assert shown(response) == ids(year["alpha-7"], year["alpha-4"], year["alpha-1"])
    assert "contract" not in response.context["filter_form"].fields
    # another client's contract in the query is no way in: the portal has no such filter
    assert shown(own.get("/portal/reviews/", {"contract": year["beta"].pk})) == ids(
        year["alpha-1"], year["alpha-4"], year["alpha-7"])
    assert shown(own.get("/portal/reviews/", {"state": "closed", "open_items": "on"})) == ids(year["alpha-4"])


def test_the_api_filters_searches_and_sorts_reviews(world_a, year, api_as):
    api = api_as(world_a, world_a.account_manager)

    def listed(query: str = "") -> list[int]:
        response = api.get(f"{REVIEWS}{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert listed() == ids(year["alpha-1"], year["beta-2"], year["alpha-4"], year["beta-5"], year["alpha-7"])
    assert listed(f"?contract={year['beta'].pk}") == ids(year["beta-2"], year["beta-5"])
    assert listed(f"?client={year['beta'].client_id}&kind=annual") == ids(year["beta-2"])
    assert listed("?state=closed&state=cancelled") == ids(year["alpha-4"], year["beta-5"], year["alpha-7"])
    start, _end = month_of(add_months(local_today(world_a.tenant), -4))
    assert listed(f"?period_from={start}") == ids(year["alpha-1"], year["beta-2"], year["alpha-4"])
    assert listed(f"?period_to={start}") == ids(year["alpha-4"], year["beta-5"], year["alpha-7"])
    meeting = year["beta-2"].proposed_meeting_date
    assert listed(f"?meeting_from={meeting}&meeting_to={meeting}") == ids(year["beta-2"])
    assert listed("?search=Beta Holding") == ids(year["beta-2"], year["beta-5"])
    assert listed("?search=REV-ALPHA&ordering=period_end") == ids(year["alpha-7"], year["alpha-4"], year["alpha-1"])
    assert listed("?ordering=kind,-period_end")[0] == year["beta-2"].pk


def test_bad_review_filters_are_a_400_naming_the_parameter(world_a, world_b, year, api_as):
    api = api_as(world_a, world_a.account_manager)
    foreign = reviewed_contract(world_b)
    for query, field in (("?state=bogus", "state"), ("?kind=monthly", "kind"), ("?contract=abc", "contract"),
                         (f"?contract={foreign.pk}", "contract"), ("?client=99999999999999999999", "client"),
                         ("?period_from=2026-13-01", "period_from"), ("?meeting_to=tomorrow", "meeting_to"),
                         ("?ordering=minutes", "ordering"), ("?ordering=-", "ordering")):
        assert_error(api.get(f"{REVIEWS}{query}"), 400, field=field)
    assert api.get(f"{REVIEWS}?state=").json()["count"] == 5  # empty: no filter


def test_filters_never_reach_past_the_tenant_or_the_client(world_a, world_b, year, api_as):
    assert api_as(world_b, world_b.account_manager).get(f"{REVIEWS}?search=REV").json()["count"] == 0
    own = session_as(world_a.client_admin)
    assert own.get(REVIEWS).json()["count"] == 3
    assert own.get(f"{REVIEWS}?client={year['beta'].client_id}").json()["count"] == 0
    assert own.get(f"{REVIEWS}?contract={year['beta'].pk}").json()["count"] == 0
    assert own.get(f"{REVIEWS}?search=Beta").json()["count"] == 0
    page = browser(world_b.account_manager).get("/reviews/", {"contract": year["alpha"].pk})
    assert page.status_code == 200 and shown(page) == []
