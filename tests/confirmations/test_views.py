"""The act pages: the manager's list, assembly and act page; the portal's act page with rating,
signing and dispute; the public verification page; and the tenant wall on each."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from confirmations.models import Act, ActState
from tests.contracts.api_support import active_contract

from .support import (
    delivered_order,
    draft_act,
    one_byte_changed,
    read,
    reload,
    sent_act,
    sign,
    this_month,
)

pytestmark = pytest.mark.django_db


def test_the_manager_assembles_edits_and_sends_an_act(client, world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    delivered_order(world_a, contract, "Replace the core switch")
    client.force_login(world_a.account_manager)
    start, end = this_month(world_a)
    response = client.post(reverse("confirmations:act-create"), {
        "contract": contract.pk, "period_start": start.isoformat(), "period_end": end.isoformat(),
        "language": "ru", "basis": "both"})
    assert response.status_code == 302, response.content
    with world_a.context():
        act = Act.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Replace the core switch" in page.content.decode()
    edited = client.post(reverse("confirmations:act-lines", args=[act.pk]), {
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "2", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "Monthly service", "lines-0-quantity": "1", "lines-0-unit_price": "1000.00",
        "lines-1-order": "", "lines-1-description": "Switch replacement", "lines-1-quantity": "2",
        "lines-1-unit_price": "50.00"})
    assert edited.status_code == 302
    assert str(reload(world_a, act).amount) == "1100.00"
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("confirmations:act-send", args=[act.pk]))
    assert sent.status_code == 302
    act = reload(world_a, act)
    assert act.state == ActState.SENT and act.pdf_sha256
    detail = client.get(reverse("confirmations:act-detail", args=[act.pk])).content.decode()
    assert reverse("confirmations:act-pdf", args=[act.pk]) in detail and "hx-trigger" not in detail
    listing = client.get(reverse("confirmations:act-list")).content.decode()
    assert act.number in listing


def test_the_act_page_polls_while_the_pdf_is_being_prepared(client, world_a, django_capture_on_commit_callbacks):
    from confirmations import services

    act = draft_act(world_a)
    with world_a.context(user=world_a.account_manager):
        services.act_send(act=act, actor=world_a.account_manager)  # the render task waits for the commit
    client.force_login(world_a.account_manager)
    page = client.get(reverse("confirmations:act-detail", args=[act.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Preparing the PDF" in page
    with world_a.context():
        services.act_render(act_id=act.pk, revision=1)
    poll = client.get(reverse("confirmations:act-status", args=[act.pk]) + "?poll=1", HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_the_signatory_rates_and_signs_in_the_portal(client, world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    order = delivered_order(world_a, contract)
    act = sent_act(world_a, django_capture_on_commit_callbacks, contract=contract, basis="orders")
    client.force_login(world_a.client_signatory)
    page = client.get(reverse("confirmations:portal-act-detail", args=[act.pk]))
    assert page.status_code == 200 and "<iframe" in page.content.decode()
    inline = client.get(reverse("confirmations:act-pdf", args=[act.pk]) + "?inline=1")
    assert inline.status_code == 200 and inline["X-Frame-Options"] == "SAMEORIGIN"
    url = reverse("confirmations:portal-act-sign", args=[act.pk])
    form = {"rating": "5", "method": "password", "password": "correct-horse-battery", "consent": "on",
            f"order_{order.pk}_rating": "1"}
    refused = client.post(url, form)
    assert refused.status_code == 400 and "needs a comment" in refused.content.decode()
    wrong = client.post(url, {**form, f"order_{order.pk}_comment": "Late", "password": "guess"})
    assert wrong.status_code == 400 and "password is wrong" in wrong.content.decode()
    assert reload(world_a, act).state == ActState.SENT
    with django_capture_on_commit_callbacks(execute=True):
        signed = client.post(url, {**form, f"order_{order.pk}_comment": "Late"})
    assert signed.status_code == 302
    act = reload(world_a, act)
    assert act.state == ActState.SIGNED and act.sealed_sha256
    done = client.get(reverse("confirmations:portal-act-detail", args=[act.pk])).content.decode()
    assert reverse("confirmations:act-sealed-pdf", args=[act.pk]) in done and "Sign the act" not in done


def test_the_signatory_disputes_in_the_portal(client, world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    client.force_login(world_a.client_signatory)
    url = reverse("confirmations:portal-act-dispute", args=[act.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Not our office"}).status_code == 302
    assert reload(world_a, act).state == ActState.DISPUTED


def test_a_viewer_cannot_sign_and_drafts_are_hidden_from_the_client(client, world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    draft = draft_act(world_a)
    client.force_login(world_a.client_viewer)
    page = client.get(reverse("confirmations:portal-act-detail", args=[act.pk])).content.decode()
    assert "Sign the act" not in page
    form = {"rating": "5", "method": "password", "password": "correct-horse-battery", "consent": "on"}
    assert client.post(reverse("confirmations:portal-act-sign", args=[act.pk]), form).status_code == 403
    assert client.get(reverse("confirmations:portal-act-detail", args=[draft.pk])).status_code == 404
    assert act.number in client.get(reverse("confirmations:portal-act-list")).content.decode()


def test_another_tenant_gets_404_on_every_act_page(client, world_a, world_b, django_capture_on_commit_callbacks):
    act = sign(world_a, sent_act(world_a, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    client.force_login(world_b.account_manager)
    for name in ("act-detail", "act-status", "act-pdf", "act-sealed-pdf"):
        assert client.get(reverse(f"confirmations:{name}", args=[act.pk])).status_code == 404, name
    for name in ("act-lines", "act-send"):
        assert client.post(reverse(f"confirmations:{name}", args=[act.pk])).status_code == 404, name
    assert act.number not in client.get(reverse("confirmations:act-list")).content.decode()
    client.force_login(world_b.client_signatory)
    assert client.get(reverse("confirmations:portal-act-detail", args=[act.pk])).status_code == 404
    for name in ("portal-act-sign", "portal-act-dispute", "portal-act-code"):
        assert client.post(reverse(f"confirmations:{name}", args=[act.pk]), {"reason": "x"}).status_code == 404, name


def test_the_public_verification_page(client, world_a, django_capture_on_commit_callbacks):
    act = sign(world_a, sent_act(world_a, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    sealed = read(act.sealed_pdf)
    url = reverse("confirmations:verify")
    assert client.get(url).status_code == 200  # no login

    def upload(data):
        return client.post(url, {"file": SimpleUploadedFile("act.pdf", data, "application/pdf")})

    genuine = upload(sealed)
    assert genuine.status_code == 200
    text = genuine.content.decode()
    assert 'data-verdict="genuine"' in text and act.number in text and act.evidence.signer_name in text
    altered = upload(one_byte_changed(sealed))
    assert altered.status_code == 400 and 'data-verdict="altered"' in altered.content.decode()
    unknown = upload(b"%PDF-1.4 hello")
    assert unknown.status_code == 400 and 'data-verdict="unknown"' in unknown.content.decode()
