"""The disputes API: open, act, documents, messages, timeline; the tenant wall and the client scope
on every endpoint; bad input is a 400 naming the field and saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes.models import Dispute, DisputeDocument
from tests.clock import local_today
from tests.contracts.api_support import assert_error
from tests.orders.api_support import other_client, session_as

from .support import DISPUTES, PDF, contract_of, open_dispute, sent_act

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf(name="minutes.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def count(world) -> int:
    with world.context():
        return Dispute.objects.count()


def test_a_client_user_opens_a_dispute_about_an_act_and_both_sides_read_it(world_a, api_as):
    contract = contract_of(world_a)
    act = sent_act(world_a, contract)
    client = session_as(world_a.client_signatory)
    response = client.post(DISPUTES, {"contract": contract.pk, "kind": "act", "act": act.pk,
                                      "title": "Hours on the act are wrong", "claimed_amount": "5000.00"},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "negotiation" and body["act_number"] == act.number and body["opened_side"] == "client"
    provider = api_as(world_a)
    assert provider.get(f"{DISPUTES}{body['id']}/").json()["number"] == body["number"]
    assert [d["id"] for d in provider.get(DISPUTES, {"contract": contract.pk, "kind": "act"}).json()["results"]] == [
        body["id"]]
    assert provider.get(DISPUTES, {"state": "resolved"}).json()["count"] == 0


def test_another_tenants_act_is_unknown_and_nothing_is_saved(world_a, world_b, api_as):
    contract = contract_of(world_a)
    foreign = sent_act(world_b, contract_of(world_b))
    response = api_as(world_a).post(DISPUTES, {"contract": contract.pk, "kind": "act", "act": foreign.pk,
                                               "title": "x"}, format="json")
    body = assert_error(response, 400, field="act")
    assert "Unknown act." in str(body)
    assert count(world_a) == 0 and count(world_b) == 0


def test_a_second_open_dispute_about_the_same_act_is_refused(world_a):
    contract = contract_of(world_a)
    act = sent_act(world_a, contract)
    open_dispute(world_a, contract, kind="act", act=act)
    response = session_as(world_a.client_admin).post(DISPUTES, {"contract": contract.pk, "kind": "act",
                                                                "act": act.pk, "title": "Again"}, format="json")
    assert_error(response, 400, field="act", code="already_disputed")
    assert count(world_a) == 1


def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(world_a, api_as):
    contract = contract_of(world_a)
    api = api_as(world_a, world_a.account_manager)
    yesterday = (local_today(world_a.tenant) - dt.timedelta(days=1)).isoformat()
    cases = [
        ({"kind": "complaint", "title": "Late", "stage_deadline": yesterday}, "stage_deadline"),
        ({"kind": "act", "title": "Late"}, "act"),
        ({"kind": "invoice_line", "title": "Late"}, "invoice_line"),
        ({"kind": "complaint", "title": "Late", "claimed_amount": "-1.00"}, "claimed_amount"),
        ({"kind": "nonsense", "title": "Late"}, "kind"),
        ({"kind": "complaint", "title": ""}, "title"),
    ]
    for body, field in cases:
        assert_error(api.post(DISPUTES, {"contract": contract.pk, **body}, format="json"), 400, field=field)
    assert count(world_a) == 0


def test_escalate_resolve_and_withdraw_through_the_api(world_a, api_as):
    contract = contract_of(world_a)
    dispute = open_dispute(world_a, contract, claimed_amount="900.00")
    client = session_as(world_a.client_admin)
    response = client.post(f"{DISPUTES}{dispute.pk}/escalate/", {"note": "No answer for a week"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "mediation"
    # the client does not record the resolution; the compensation is never negative
    assert_error(client.post(f"{DISPUTES}{dispute.pk}/resolve/", {"compensation": "10.00", "note": "x"},
                             format="json"), 403)
    manager = api_as(world_a, world_a.account_manager)
    assert_error(manager.post(f"{DISPUTES}{dispute.pk}/resolve/", {"compensation": "-1.00", "note": "x"},
                              format="json"), 400, field="compensation")
    yesterday = (local_today(world_a.tenant) - dt.timedelta(days=1)).isoformat()
    assert_error(manager.post(f"{DISPUTES}{dispute.pk}/deadline/", {"stage_deadline": yesterday}, format="json"),
                 400, field="stage_deadline")
    response = manager.post(f"{DISPUTES}{dispute.pk}/resolve/", {"compensation": "500.00", "note": "Agreed"},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "resolved" and response.json()["compensation"] == "500.00"
    assert_error(client.post(f"{DISPUTES}{dispute.pk}/withdraw/", {}, format="json"), 409)
    kinds = [e["kind"] for e in client.get(f"{DISPUTES}{dispute.pk}/events/").json()["results"]]
    assert kinds == ["opened", "transition", "transition"]


def test_documents_upload_list_and_download_by_both_sides(world_a, api_as):
    dispute = open_dispute(world_a, contract_of(world_a))
    client = session_as(world_a.client_admin)
    response = client.post(f"{DISPUTES}{dispute.pk}/documents/", {"file": pdf()}, format="multipart")
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["side"] == "client"
    listed = api_as(world_a).get(f"{DISPUTES}{dispute.pk}/documents/").json()["results"]
    assert [d["id"] for d in listed] == [document["id"]]
    download = api_as(world_a).get(f"{DISPUTES}{dispute.pk}/documents/{document['id']}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("page.html", b"<html></html>", "text/html"),
    ("fake.pdf", b"MZ not a pdf", "application/pdf"),
    ("empty.pdf", b"", "application/pdf"),
])
def test_a_refused_file_is_a_400_naming_the_file_and_nothing_is_kept(world_a, media, name, content, content_type):
    dispute = open_dispute(world_a, contract_of(world_a))
    response = session_as(world_a.client_admin).post(f"{DISPUTES}{dispute.pk}/documents/",
                                                     {"file": pdf(name, content, content_type)}, format="multipart")
    assert_error(response, 400, field="file")
    with world_a.context():
        assert not DisputeDocument.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True


def test_a_file_over_the_size_limit_is_refused(world_a, settings):
    settings.ORDER_ATTACHMENT_MAX_BYTES = 100
    dispute = open_dispute(world_a, contract_of(world_a))
    response = session_as(world_a.client_admin).post(f"{DISPUTES}{dispute.pk}/documents/",
                                                     {"file": pdf(content=PDF + b"x" * 200)}, format="multipart")
    assert_error(response, 400, field="file")


def test_messages_both_sides_see(world_a, api_as):
    dispute = open_dispute(world_a, contract_of(world_a))
    assert session_as(world_a.client_admin).post(f"{DISPUTES}{dispute.pk}/comments/", {"body": "Any news?"},
                                                 format="json").status_code == 201
    assert api_as(world_a, world_a.account_manager).post(f"{DISPUTES}{dispute.pk}/comments/",
                                                         {"body": "Tomorrow."}, format="json").status_code == 201
    bodies = [c["body"] for c in session_as(world_a.client_viewer).get(f"{DISPUTES}{dispute.pk}/comments/").json()[
        "results"]]
    assert bodies == ["Any news?", "Tomorrow."]
    assert_error(session_as(world_a.client_viewer).post(f"{DISPUTES}{dispute.pk}/comments/", {"body": "x"},
                                                        format="json"), 403)


def test_tenant_b_cannot_read_list_change_or_act_on_tenant_as_dispute(world_a, world_b, api_as):
    dispute = open_dispute(world_a, contract_of(world_a))
    with world_a.context(user=world_a.client_admin):
        from disputes import services
        document = services.dispute_add_document(dispute=dispute, actor=world_a.client_admin, upload=pdf())
    other = api_as(world_b)
    base = f"{DISPUTES}{dispute.pk}/"
    assert other.get(DISPUTES).json()["count"] == 0
    for url in (base, f"{base}events/", f"{base}comments/", f"{base}documents/",
                f"{base}documents/{document.pk}/download/"):
        assert_error(other.get(url), 404)
    for url, body in ((f"{base}escalate/", {}), (f"{base}resolve/", {"compensation": "1.00", "note": "x"}),
                      (f"{base}withdraw/", {}), (f"{base}deadline/", {"stage_deadline": "2099-01-01"}),
                      (f"{base}comments/", {"body": "x"})):
        assert_error(other.post(url, body, format="json"), 404)
    assert_error(other.post(f"{base}documents/", {"file": pdf()}, format="multipart"), 404)
    assert_error(other.post(DISPUTES, {"contract": dispute.contract_id, "kind": "complaint", "title": "x"},
                            format="json"), 400, field="contract")
    assert count(world_b) == 0
    assert reload_state(world_a, dispute) == "negotiation"


def reload_state(world, dispute) -> str:
    with world.context():
        return Dispute.objects.get(pk=dispute.pk).state


def test_a_client_user_never_reaches_another_clients_dispute(world_a):
    _client, other_admin, other_contract = other_client(world_a)
    dispute = open_dispute(world_a, contract_of(world_a))
    document = None
    with world_a.context(user=world_a.client_admin):
        from disputes import services
        document = services.dispute_add_document(dispute=dispute, actor=world_a.client_admin, upload=pdf())
    intruder = session_as(other_admin)
    base = f"{DISPUTES}{dispute.pk}/"
    assert intruder.get(DISPUTES).json()["count"] == 0
    for url in (base, f"{base}events/", f"{base}documents/", f"{base}documents/{document.pk}/download/"):
        assert_error(intruder.get(url), 404)
    assert_error(intruder.post(f"{base}escalate/", {}, format="json"), 404)
    assert_error(intruder.post(f"{base}withdraw/", {}, format="json"), 404)
    # nor open one on another client's contract or act
    assert_error(intruder.post(DISPUTES, {"contract": dispute.contract_id, "kind": "complaint", "title": "x"},
                               format="json"), 400, field="contract")
    act = sent_act(world_a, dispute.contract)
    assert_error(intruder.post(DISPUTES, {"contract": other_contract.pk, "kind": "act", "act": act.pk,
                                          "title": "x"}, format="json"), 400, field="act")
    assert count(world_a) == 1


def test_the_list_takes_a_constant_number_of_queries(world_a, api_as, django_assert_max_num_queries):
    contract = contract_of(world_a)
    for _ in range(4):
        open_dispute(world_a, contract, kind="act", act=sent_act(world_a, contract))
    api = api_as(world_a)
    with django_assert_max_num_queries(12):
        assert api.get(DISPUTES).json()["count"] == 4
