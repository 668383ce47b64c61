"""Dispute pages: the provider's and the portal's, in English and Russian; actions by POST; bad
input is a form error that saves nothing; another tenant's or another client's dispute and its
documents are a 404; the act and invoice pages link to the open form; the contract badge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client, RequestFactory

from disputes import services
from disputes.models import Dispute, DisputeDocument
from tests.clock import local_today
from tests.orders.api_support import other_client

from .support import PDF, contract_of, issued_invoice, open_dispute, reload, sent_act

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def browser(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def pdf():
    return SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf")


def with_document(world, dispute):
    with world.context(user=world.client_admin):
        return services.dispute_add_document(dispute=dispute, actor=world.client_admin, upload=pdf())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_dispute_page_renders_in_both_languages(world_a, language):
    contract = contract_of(world_a)
    act = sent_act(world_a, contract)
    dispute = open_dispute(world_a, contract, kind="act", act=act, claimed_amount="100.00")
    with_document(world_a, dispute)
    with world_a.context(user=world_a.client_admin):
        services.dispute_comment(dispute=dispute, actor=world_a.client_admin, body="Please check")
    manager = browser(world_a.account_manager, language)
    for url in ["/disputes/", "/disputes/?state=negotiation&kind=act", f"/disputes/?contract={contract.pk}",
                "/disputes/new/", f"/disputes/new/?act={act.pk}", f"/disputes/new/?contract={contract.pk}",
                f"/disputes/{dispute.pk}/"]:
        assert manager.get(url).status_code == 200, url
    client = browser(world_a.client_admin, language)
    for url in ["/portal/disputes/", "/portal/disputes/new/", f"/portal/disputes/new/?act={act.pk}",
                f"/portal/disputes/{dispute.pk}/"]:
        assert client.get(url).status_code == 200, url
    with world_a.context(user=world_a.admin):
        services.dispute_resolve(dispute=dispute, actor=world_a.admin, compensation="50.00", note="Agreed")
    assert manager.get(f"/disputes/{dispute.pk}/").status_code == 200
    assert client.get(f"/portal/disputes/{dispute.pk}/").status_code == 200


def test_the_dispute_page_shows_the_stage_deadline_owner_documents_and_timeline(world_a):
    contract = contract_of(world_a)
    dispute = open_dispute(world_a, contract)
    with_document(world_a, dispute)
    page = browser(world_a.client_signatory).get(f"/portal/disputes/{dispute.pk}/").content.decode()
    assert dispute.number in page and "minutes.pdf" in page
    assert 'data-testid="stage-progress"' in page
    assert world_a.account_manager.get_full_name() in page or world_a.account_manager.username in page
    assert f"/portal/disputes/{dispute.pk}/escalate/" in page
    assert "/resolve/" not in page  # the client does not record the resolution


def test_a_client_makes_a_complaint_from_the_portal(world_a):
    contract = contract_of(world_a)
    response = browser(world_a.client_admin).post("/portal/disputes/new/", {
        "contract": contract.pk, "kind": "complaint", "title": "Slow answers", "description": "Every ticket waits"})
    assert response.status_code == 302
    with world_a.context():
        dispute = Dispute.objects.get()
    assert response["Location"] == f"/portal/disputes/{dispute.pk}/"
    assert dispute.opened_side == "client" and dispute.kind == "complaint"


def test_a_deadline_in_the_past_or_a_kind_without_its_subject_is_a_form_error_and_nothing_is_saved(world_a):
    contract = contract_of(world_a)
    manager = browser(world_a.account_manager)
    yesterday = local_today(world_a.tenant) - dt.timedelta(days=1)
    response = manager.post("/disputes/new/", {"contract": contract.pk, "kind": "complaint", "title": "Late",
                                               "stage_deadline": yesterday.isoformat()})
    assert response.status_code == 400
    assert "stage_deadline" in response.context["form"].errors
    response = manager.post("/disputes/new/", {"contract": contract.pk, "kind": "act", "title": "Late"})
    assert response.status_code == 400 and "act" in response.context["form"].errors
    response = manager.post("/disputes/new/", {"contract": contract.pk, "kind": "complaint", "title": "Late",
                                               "claimed_amount": "-5"})
    assert response.status_code == 400 and "claimed_amount" in response.context["form"].errors
    with world_a.context():
        assert not Dispute.objects.exists()


def test_another_tenants_act_is_not_a_choice_and_nothing_is_saved(world_a, world_b):
    contract = contract_of(world_a)
    foreign = sent_act(world_b, contract_of(world_b))
    response = browser(world_a.account_manager).post("/disputes/new/", {
        "contract": contract.pk, "kind": "act", "act": foreign.pk, "title": "x"})
    assert response.status_code == 400 and "act" in response.context["form"].errors
    with world_a.context():
        assert not Dispute.objects.exists()
    with world_b.context():
        assert not Dispute.objects.exists()


def test_escalate_resolve_and_move_the_deadline_from_the_page(world_a):
    dispute = open_dispute(world_a, contract_of(world_a))
    client = browser(world_a.client_admin)
    assert client.post(f"/portal/disputes/{dispute.pk}/escalate/", {"escalate-note": "No answer"}).status_code == 302
    assert reload(world_a, dispute).state == "mediation"
    manager = browser(world_a.account_manager)
    yesterday = local_today(world_a.tenant) - dt.timedelta(days=1)
    response = manager.post(f"/disputes/{dispute.pk}/deadline/", {"stage_deadline": yesterday.isoformat()})
    assert response.status_code == 400 and "stage_deadline" in response.context["deadline_form"].errors
    response = manager.post(f"/disputes/{dispute.pk}/resolve/", {"compensation": "-1", "note": "x"})
    assert response.status_code == 400
    assert manager.post(f"/disputes/{dispute.pk}/resolve/", {"compensation": "10.00", "note": "Agreed"}
                        ).status_code == 302
    dispute = reload(world_a, dispute)
    assert dispute.state == "resolved" and str(dispute.compensation) == "10.00"
    # a client posting the provider's action gets no further than the portal's refusal
    assert client.post(f"/portal/disputes/{dispute.pk}/resolve/", {"compensation": "1", "note": "x"}
                       ).status_code in (400, 403, 409)


def test_a_refused_document_is_a_form_error_and_nothing_is_kept(world_a, media):
    dispute = open_dispute(world_a, contract_of(world_a))
    page = browser(world_a.client_admin).post(f"/portal/disputes/{dispute.pk}/document/", {
        "file": SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")})
    assert page.status_code == 400
    with world_a.context():
        assert not DisputeDocument.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True


def test_documents_download_only_for_the_right_tenant_and_client(world_a, world_b):
    dispute = open_dispute(world_a, contract_of(world_a))
    document = with_document(world_a, dispute)
    own = browser(world_a.client_viewer).get(f"/portal/disputes/{dispute.pk}/documents/{document.pk}/")
    assert own.status_code == 200 and b"".join(own.streaming_content) == PDF
    assert browser(world_a.engineer).get(f"/disputes/{dispute.pk}/documents/{document.pk}/").status_code == 200
    _client, intruder, _contract = other_client(world_a)
    assert browser(intruder).get(f"/portal/disputes/{dispute.pk}/documents/{document.pk}/").status_code == 404
    assert browser(intruder).get(f"/portal/disputes/{dispute.pk}/").status_code == 404
    for user in (world_b.admin, world_b.client_admin):
        prefix = "/portal" if user == world_b.client_admin else ""
        assert browser(user).get(f"{prefix}/disputes/{dispute.pk}/").status_code == 404
        assert browser(user).get(f"{prefix}/disputes/{dispute.pk}/documents/{document.pk}/").status_code == 404
        assert browser(user).post(f"{prefix}/disputes/{dispute.pk}/escalate/", {}).status_code == 404
    assert reload(world_a, dispute).state == "negotiation"


def test_the_act_and_invoice_pages_link_to_the_open_form(world_a, django_capture_on_commit_callbacks):
    contract = contract_of(world_a)
    act = sent_act(world_a, contract)
    invoice = issued_invoice(world_a, contract, capture=django_capture_on_commit_callbacks)
    assert f"/disputes/new/?act={act.pk}" in browser(world_a.account_manager).get(f"/acts/{act.pk}/").content.decode()
    portal_act = browser(world_a.client_signatory).get(f"/portal/acts/{act.pk}/").content.decode()
    assert f"/portal/disputes/new/?act={act.pk}" in portal_act
    invoice_page = browser(world_a.accountant).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert f"/disputes/new/?invoice={invoice.pk}" in invoice_page
    portal_invoice = browser(world_a.client_admin).get(f"/portal/invoices/{invoice.pk}/").content.decode()
    assert f"/portal/disputes/new/?invoice={invoice.pk}" in portal_invoice
    # the viewer may not open one, so no link
    assert "/disputes/new/" not in browser(world_a.client_viewer).get(f"/portal/acts/{act.pk}/").content.decode()
    form = browser(world_a.client_admin).get(f"/portal/disputes/new/?invoice={invoice.pk}")
    assert form.status_code == 200
    with world_a.context():
        lines = set(invoice.lines.values_list("pk", flat=True))
        assert set(form.context["form"].fields["invoice_line"].queryset.values_list("pk", flat=True)) == lines


def test_the_contract_badge_counts_open_disputes(world_a):
    contract = contract_of(world_a)
    open_dispute(world_a, contract)
    open_dispute(world_a, contract, title="Another")
    request = RequestFactory().get("/")
    request.user = world_a.account_manager
    with world_a.context():
        from tenancy.models import Membership
        membership = Membership.objects.get(user=world_a.account_manager)
        html = Template("{% load disputes_tags %}{% dispute_badge contract %}").render(
            Context({"contract": contract, "current_membership": membership, "request": request}))
    assert "2 open disputes" in html and f"/disputes/?contract={contract.pk}" in html
    with world_a.context():
        link = Template("{% load disputes_tags %}{% dispute_link contract=contract %}").render(
            Context({"contract": contract, "current_membership": membership, "request": request}))
    assert f"/disputes/new/?contract={contract.pk}" in link


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_contract_page_and_the_portal_show_the_open_disputes_and_link_to_opening_one(world_a, language):
    contract = contract_of(world_a)
    open_dispute(world_a, contract)
    page = browser(world_a.account_manager, language).get(f"/contracts/{contract.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="dispute-badge"' in body and f"/disputes/?contract={contract.pk}" in body
    assert f"/disputes/new/?contract={contract.pk}" in body
    portal = browser(world_a.client_admin, language).get(f"/portal/contracts/{contract.pk}/")
    assert portal.status_code == 200
    assert f"/portal/disputes/?contract={contract.pk}" in portal.content.decode()


def act_select(response) -> str:
    html = response.content.decode()
    start = html.index('<select name="act"')
    return html[start:html.index("</select>", start)]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_act_of_years_ago_can_be_disputed_from_its_page(world_a, language):
    """The open form offers the newest 200 acts; opened from an act's page (or for a contract), it
    offers that contract's acts, so the old act is there and chosen, and it opens for real."""
    old_contract, busy = contract_of(world_a), contract_of(world_a)
    old = sent_act(world_a, old_contract)
    for _ in range(201):  # newer acts of another contract push the old one out of the newest 200
        sent_act(world_a, busy)
    for user, prefix in ((world_a.account_manager, ""), (world_a.client_admin, "/portal")):
        everything = browser(user, language).get(f"{prefix}/disputes/new/")
        assert f'<option value="{old.pk}"' not in act_select(everything)
        page = browser(user, language).get(f"{prefix}/disputes/new/", {"act": old.pk})
        assert page.status_code == 200
        assert f'<option value="{old.pk}" selected>' in act_select(page)
        with world_a.context():  # the form's choices, read in the tenant (row-level security)
            assert list(page.context["form"].fields["act"].queryset) == [old]
    response = browser(world_a.client_admin, language).post("/portal/disputes/new/", {
        "contract": old_contract.pk, "kind": "act", "act": old.pk, "title": "Old act disputed"})
    assert response.status_code == 302
    with world_a.context():
        assert Dispute.objects.get(act=old).title == "Old act disputed"
