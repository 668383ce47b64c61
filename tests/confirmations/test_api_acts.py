"""The acts API: list and filter, create, send, sign (session only), dispute, PDFs, verification,
and the tenant wall on every endpoint."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from confirmations.models import ActState, Confirmation
from tests.contracts.api_support import active_contract, assert_error, count_queries
from tests.orders.api_support import session_as

from .support import (
    ACTS,
    VERIFY,
    delivered_order,
    draft_act,
    one_byte_changed,
    read,
    reload,
    sent_act,
    this_month,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_body(**fields):
    return {"rating": 5, "password": PASSWORD, "consent": True, **fields}


def test_a_manager_creates_an_act_from_delivered_orders_and_sends_it(world_a, api_as, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    order = delivered_order(world_a, contract)
    api = api_as(world_a, world_a.account_manager)
    start, end = this_month(world_a)
    created = api.post(ACTS, {"contract": contract.pk, "period_start": start, "period_end": end, "language": "en"},
                       format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "draft" and [line["order"] for line in body["lines"]] == [order.pk]
    assert body["pdf_url"] is None
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"{ACTS}{body['id']}/send/")
    assert sent.status_code == 200, sent.content
    detail = api.get(f"{ACTS}{body['id']}/").json()
    assert detail["state"] == "sent" and detail["revision"] == 1 and not detail["preparing"]
    pdf = api.get(detail["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_the_list_filters_by_contract_state_and_period(world_a, api_as, django_capture_on_commit_callbacks):
    first = sent_act(world_a, django_capture_on_commit_callbacks)
    other = draft_act(world_a)
    api = api_as(world_a)
    assert {a["id"] for a in api.get(ACTS).json()["results"]} == {first.pk, other.pk}
    assert [a["id"] for a in api.get(f"{ACTS}?state=sent").json()["results"]] == [first.pk]
    assert [a["id"] for a in api.get(f"{ACTS}?contract={other.contract_id}").json()["results"]] == [other.pk]
    assert api.get(f"{ACTS}?period_to=2000-01-01").json()["results"] == []


def test_list_queries_do_not_grow_with_the_acts(world_a, api_as):
    api = api_as(world_a)
    draft_act(world_a)
    count_queries(api, ACTS)  # the key's first use of the minute is recorded
    few = count_queries(api, ACTS)
    for _ in range(3):
        draft_act(world_a)
    assert count_queries(api, ACTS) == few


def test_the_signatory_signs_through_the_api_with_the_session(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    api = session_as(world_a.client_signatory)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{ACTS}{act.pk}/sign/", sign_body(), format="json", HTTP_USER_AGENT="pytest-browser")
    assert response.status_code == 200, response.content
    body = api.get(f"{ACTS}{act.pk}/").json()
    assert body["state"] == "signed" and body["confirmation"]["rating"] == 5
    assert body["evidence"]["method"] == "password" and body["evidence"]["sealed_sha256"] == body["sealed_sha256"]
    sealed = api.get(body["sealed_pdf_url"])
    assert sealed.status_code == 200
    assert reload(world_a, act).evidence.user_agent == "pytest-browser"
    # twice
    assert_error(api.post(f"{ACTS}{act.pk}/sign/", sign_body(), format="json"), 409)


def test_bad_sign_requests_are_refused_and_change_nothing(world_a, world_b, api_as, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    signatory = session_as(world_a.client_signatory)
    url = f"{ACTS}{act.pk}/sign/"
    assert_error(signatory.post(url, sign_body(password="guess"), format="json"), 400, field="password")
    assert_error(signatory.post(url, sign_body(rating=6), format="json"), 400, field="rating")
    assert_error(signatory.post(url, sign_body(rating=0), format="json"), 400, field="rating")
    assert_error(signatory.post(url, sign_body(rating=2), format="json"), 400, field="comment")
    assert_error(signatory.post(url, sign_body(consent=False), format="json"), 400, field="consent")
    assert_error(session_as(world_a.client_viewer).post(url, sign_body(), format="json"), 403)
    assert_error(session_as(world_b.client_signatory).post(url, sign_body(), format="json"), 404)
    # an API key never signs, whoever created it
    assert_error(api_as(world_a, world_a.client_signatory).post(url, sign_body(), format="json"), 403)
    draft = draft_act(world_a)
    assert_error(session_as(world_a.client_admin).post(f"{ACTS}{draft.pk}/sign/", sign_body(), format="json"), 404)
    assert reload(world_a, act).state == ActState.SENT
    with world_a.context():
        assert not Confirmation.objects.exists()


def test_a_low_order_rating_needs_a_comment(world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    order = delivered_order(world_a, contract)
    act = sent_act(world_a, django_capture_on_commit_callbacks, contract=contract, basis="orders")
    api = session_as(world_a.client_signatory)
    refused = api.post(f"{ACTS}{act.pk}/sign/", sign_body(order_ratings=[{"order": order.pk, "rating": 1}]),
                       format="json")
    assert_error(refused, 400, field="order_ratings.0.comment")


def test_dispute_and_resend_through_the_api(world_a, api_as, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    client_api = session_as(world_a.client_signatory)
    assert_error(client_api.post(f"{ACTS}{act.pk}/dispute/", {}, format="json"), 400, field="reason")
    disputed = client_api.post(f"{ACTS}{act.pk}/dispute/", {"reason": "Wrong month"}, format="json")
    assert disputed.status_code == 200 and disputed.json()["state"] == "disputed"
    manager = api_as(world_a, world_a.account_manager)
    changed = manager.patch(f"{ACTS}{act.pk}/", {"lines": [{"description": "Corrected", "unit_price": "10.00"}]},
                            format="json")
    assert changed.status_code == 200, changed.content
    with django_capture_on_commit_callbacks(execute=True):
        resent = manager.post(f"{ACTS}{act.pk}/send/")
    assert resent.status_code == 200
    body = manager.get(f"{ACTS}{act.pk}/").json()
    assert body["revision"] == 2 and body["pdf_sha256"] != act.pdf_sha256
    # clients may not create or send
    assert_error(client_api.post(f"{ACTS}{act.pk}/send/"), 403)


def test_another_tenant_cannot_read_list_change_or_act_on_an_act(world_a, world_b, api_as, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    api = api_as(world_b)
    assert api.get(ACTS).json()["results"] == []
    for path in ("", "pdf/", "sealed-pdf/", "events/"):
        assert_error(api.get(f"{ACTS}{act.pk}/{path}"), 404)
    for path in ("send/", "dispute/"):
        assert_error(api.post(f"{ACTS}{act.pk}/{path}", {"reason": "x"}, format="json"), 404)
    assert_error(api.patch(f"{ACTS}{act.pk}/", {"lines": [{"description": "x"}]}, format="json"), 404)
    start, end = this_month(world_a)
    assert_error(api.post(ACTS, {"contract": act.contract_id, "period_start": start, "period_end": end},
                          format="json"), 400, field="contract")
    assert reload(world_a, act).state == ActState.SENT


def test_verification_api_for_genuine_altered_and_unrelated_pdfs(world_a, client, django_capture_on_commit_callbacks):
    from .support import sign

    act = sign(world_a, sent_act(world_a, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    sealed = read(act.sealed_pdf)

    def upload(data):
        return client.post(VERIFY, {"file": SimpleUploadedFile("act.pdf", data, "application/pdf")})

    genuine = upload(sealed)
    assert genuine.status_code == 200, genuine.content
    body = genuine.json()
    assert body["genuine"] and body["act_number"] == act.number and body["provider"] == world_a.tenant.name
    assert body["signed_by"] == act.evidence.signer_name and body["method"] == "password"
    assert_error(upload(one_byte_changed(sealed)), 400, code="document_altered", field="file")
    assert_error(upload(read(act.pdf)), 400, code="unknown_document")
    assert_error(client.post(VERIFY, {}), 400, field="file")


@pytest.mark.parametrize("value", ["99999999999999999999999", "%C2%B2"])
def test_the_act_list_refuses_an_id_filter_beyond_bigint_or_in_other_digits(world_a, api_as, value):
    assert_error(api_as(world_a).get(f"{ACTS}?contract={value}"), 400, field="contract")
