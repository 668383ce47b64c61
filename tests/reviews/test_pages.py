"""Review pages: render in English and Russian, procedure by POST, client sees only their own,
another tenant's review is a 404 on every page, bad input is a 4xx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client

from reviews.models import Review
from tests.clock import local_today
from tests.factories import ClientFactory, MembershipFactory, UserFactory
from tests.reviews.support import new_review, report_fixture


def browser(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def review(world_a):
    fixture = report_fixture(world_a)
    return new_review(world_a, fixture.contract, fixture.start, fixture.end)


def provider_urls(review):
    return [f"/reviews/{review.pk}/", f"/reviews/{review.pk}/report.csv", f"/reviews/{review.pk}/report.pdf?lang=en"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_pages_render_in_both_languages(world_a, review, language):
    manager = browser(world_a.account_manager, language)
    for url in ["/reviews/", "/reviews/new/", *provider_urls(review)]:
        response = manager.get(url)
        assert response.status_code == 200, url
    page = manager.get(f"/reviews/{review.pk}/").content.decode()
    assert page.count('class="chart"') == 3
    client = browser(world_a.client_admin, language)
    for url in ["/portal/reviews/", f"/portal/reviews/{review.pk}/", f"/portal/reviews/{review.pk}/report.pdf"]:
        assert client.get(url).status_code == 200, url


def test_report_pdf_is_a_pdf_with_the_same_figures(world_a, review):
    from pyhanko.pdf_utils.reader import PdfFileReader

    from reviews.report import render_pdf_html

    response = browser(world_a.account_manager).get(f"/reviews/{review.pk}/report.pdf?lang=en")
    assert response["Content-Type"] == "application/pdf"
    assert PdfFileReader(io.BytesIO(response.content)).root["/Pages"]["/Count"] >= 1
    with world_a.context():
        html = render_pdf_html(Review.objects.get(pk=review.pk), language="en")
    assert "75.0" in html and "50.0" in html and "<svg" in html


def test_the_manager_runs_the_procedure_and_the_client_confirms(world_a, review, password):
    manager = browser(world_a.account_manager)
    assert manager.post(f"/reviews/{review.pk}/prepare/").status_code == 302
    today = local_today(world_a.tenant)
    response = manager.post(f"/reviews/{review.pk}/hold/", {
        "held_on": today.isoformat(), "provider_attendees": "A", "client_attendees": "B", "minutes": "M"})
    assert response.status_code == 302
    response = manager.post(f"/reviews/{review.pk}/items/add/", {"what": "Fix", "due_date": (today + dt.timedelta(days=9)).isoformat()})
    assert response.status_code == 302
    assert manager.post(f"/reviews/{review.pk}/close/").status_code == 400  # the item has no owner
    with world_a.context():
        item = Review.objects.get(pk=review.pk).items.get()
    response = manager.post(f"/reviews/{review.pk}/items/{item.pk}/", {
        f"item{item.pk}-what": "Fix", f"item{item.pk}-owner": world_a.engineer.pk,
        f"item{item.pk}-due_date": (today + dt.timedelta(days=9)).isoformat()})
    assert response.status_code == 302
    assert manager.post(f"/reviews/{review.pk}/close/").status_code == 302
    signatory = browser(world_a.client_signatory)
    response = signatory.post(f"/portal/reviews/{review.pk}/confirm/", {"password": "nope", "consent": "on"})
    assert response.status_code == 400
    response = signatory.post(f"/portal/reviews/{review.pk}/confirm/", {"password": password, "consent": "on"})
    assert response.status_code == 302
    assert signatory.post(f"/portal/reviews/{review.pk}/confirm/", {"password": password, "consent": "on"}).status_code == 409
    with world_a.context():
        assert Review.objects.get(pk=review.pk).state == "closed"


def test_bad_input_on_pages_is_a_4xx_and_saves_nothing(world_a, review):
    manager = browser(world_a.account_manager)
    response = manager.post("/reviews/new/", {"contract": review.contract_id, "kind": "quarterly",
                                              "period_start": review.period_start.isoformat(),
                                              "period_end": (local_today(world_a.tenant) + dt.timedelta(days=5)).isoformat()})
    assert response.status_code == 400
    assert manager.post(f"/reviews/{review.pk}/hold/", {"held_on": "x"}).status_code in (400, 409)
    assert manager.post(f"/reviews/{review.pk}/close/").status_code == 409
    assert manager.get(f"/reviews/{review.pk}/prepare/").status_code == 405
    with world_a.context():
        assert Review.objects.count() == 1 and Review.objects.get().state == "scheduled"


def test_another_tenant_gets_404_on_every_page(world_a, world_b, review):
    stranger = browser(world_b.account_manager)
    for url in provider_urls(review):
        assert stranger.get(url).status_code == 404, url
    for name in ("prepare", "close", "hold", "cancel"):
        assert stranger.post(f"/reviews/{review.pk}/{name}/").status_code == 404
    outsider = browser(world_b.client_admin)
    assert outsider.get(f"/portal/reviews/{review.pk}/").status_code == 404
    assert outsider.post(f"/portal/reviews/{review.pk}/confirm/", {"password": "x"}).status_code == 404


def test_a_client_sees_only_their_own_reviews(world_a, review):
    other = UserFactory(username="other_client_admin")
    MembershipFactory(tenant=world_a.tenant, user=other, role="client_admin",
                      client=ClientFactory(tenant=world_a.tenant, name="Other client"))
    page = browser(other)
    assert page.get(f"/portal/reviews/{review.pk}/").status_code == 404
    assert page.get(f"/portal/reviews/{review.pk}/report.pdf").status_code == 404
    assert review.contract.number not in page.get("/portal/reviews/").content.decode()
    assert review.contract.number in browser(world_a.client_admin).get("/portal/reviews/").content.decode()


@pytest.mark.parametrize(("language", "header"), [("ru", "\ufeffРаздел;Показатель;Значение"), ("en", "\ufeffsection,item,value")])
def test_the_report_csv_is_in_the_readers_spreadsheet_dialect(world_a, review, language, header):
    body = browser(world_a.account_manager, language).get(f"/reviews/{review.pk}/report.csv").content.decode("utf-8")
    assert body.splitlines()[0].startswith(header)
    if language == "ru":
        assert not any("." in line.split(";")[-1] for line in body.splitlines()[1:] if line.startswith("compliance_"))
