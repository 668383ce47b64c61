"""Incoming e-mail: orders from clients' contacts, replies as comments, everything else held for
review; malformed, huge or executable-carrying messages refused with nothing half-saved."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core import mail
from django.test import Client

from integrations.mail.models import InboundMessage
from integrations.mail.services import inbound_receive
from orders.models import Order, OrderAttachment, OrderComment
from tenancy.mail import mail_queue, reply_token
from tenancy.models import OutboundMessage
from tests.contracts.api_support import active_contract
from tests.orders.api_support import other_client
from tests.support import raise_order

from .support import PDF, inbound, mime

pytestmark = pytest.mark.django_db
INBOUND = "/api/v1/mail/inbound/"


@pytest.fixture
def contract_a(world_a):
    return active_contract(world_a)


def receive(world, raw: bytes):
    with world.context():
        return inbound_receive(raw=raw, source="api")


def post(api, raw: bytes):
    return api.post(INBOUND, data=raw, content_type="message/rfc822")


def counts(world):
    with world.context():
        return Order.objects.count(), OrderComment.objects.count(), OrderAttachment.objects.count()


def test_a_known_client_contact_raises_an_order_with_its_attachments(world_a, contract_a):
    raw = mime(sender=f"Anna <{world_a.client_admin.email.upper()}>", to=inbound(world_a),
               attachments=[("scan.pdf", PDF, "application", "pdf")])
    received = receive(world_a, raw)
    message = received.message
    assert message.state == "order_created" and message.sender == world_a.client_admin
    with world_a.context():
        order = Order.objects.get()
        assert (order.title, order.client_id, order.contract_id) == ("Printer jammed", world_a.client.pk, contract_a.pk)
        assert "floor 3" in order.description and order.reported_by == world_a.client_admin
        (attachment,) = OrderAttachment.objects.filter(order=order)
        assert attachment.original_name == "scan.pdf" and not attachment.internal
        assert message.order_id == order.pk and bytes(InboundMessage.objects.get().raw) == raw


def test_the_same_message_twice_makes_one_order(world_a, contract_a):
    raw = mime(sender=world_a.client_admin.email, to=inbound(world_a))
    first, second = receive(world_a, raw), receive(world_a, raw)
    assert not first.duplicate and second.duplicate and first.message.pk == second.message.pk
    assert counts(world_a)[0] == 1


def test_an_unknown_sender_is_held_not_dropped(world_a, contract_a):
    received = receive(world_a, mime(sender="stranger@elsewhere.example", to=inbound(world_a)))
    assert received.message.state == "held" and "stranger@elsewhere.example" in received.message.reason
    assert counts(world_a) == (0, 0, 0)


def test_a_client_with_several_active_contracts_is_held_for_a_choice(world_a, contract_a):
    active_contract(world_a, number="SECOND-1")
    received = receive(world_a, mime(sender=world_a.client_admin.email, to=inbound(world_a)))
    assert received.message.state == "held" and received.code == "no_contract"


def test_provider_staff_writing_a_new_mail_is_held(world_a, contract_a):
    received = receive(world_a, mime(sender=world_a.engineer.email, to=inbound(world_a)))
    assert received.message.state == "held" and received.code == "not_a_client"


def test_a_reply_to_the_order_address_becomes_a_client_visible_comment(world_a, contract_a):
    order = raise_order(world_a, contract_a)
    token = reply_token(tenant_id=world_a.tenant.pk, thread=f"order:{order.pk}")
    body = "It works again, thank you.\n\nOn Monday the provider wrote:\n> The printer was fixed."
    received = receive(world_a, mime(sender=world_a.client_admin.email, to=inbound(world_a, token),
                                     subject="Re: ORD", body=body))
    assert received.message.state == "comment_added"
    with world_a.context():
        comment = OrderComment.objects.get()
        assert (comment.order_id, comment.author, comment.internal) == (order.pk, world_a.client_admin, False)
        assert comment.body == "It works again, thank you."  # the quoted original is left out


def test_a_reply_threads_by_in_reply_to_the_notifications_message_id(world_a, contract_a,
                                                                     django_capture_on_commit_callbacks):
    order = raise_order(world_a, contract_a)
    with world_a.context(), django_capture_on_commit_callbacks(execute=True):
        sent = mail_queue(template="mail/notification", user=world_a.account_manager, thread=f"order:{order.pk}",
                          context={"title": "T", "body": "B"})
    assert mail.outbox[-1].extra_headers["Message-ID"] == sent.message_id
    raw = mime(sender=world_a.account_manager.email, to=inbound(world_a), subject="Re: T", body="On my way.",
               headers={"In-Reply-To": sent.message_id, "References": sent.message_id})
    received = receive(world_a, raw)
    assert received.message.state == "comment_added"
    with world_a.context():
        assert OrderComment.objects.get().order_id == order.pk


def test_a_client_cannot_comment_on_another_clients_order_by_reply(world_a, contract_a):
    _client_y, user_y, contract_y = other_client(world_a)
    order_y = raise_order(world_a, contract_y, actor=user_y)
    token = reply_token(tenant_id=world_a.tenant.pk, thread=f"order:{order_y.pk}")
    received = receive(world_a, mime(sender=world_a.client_admin.email, to=inbound(world_a, token), body="Mine now"))
    assert received.message.state == "held"
    assert counts(world_a)[1] == 0


def test_another_tenants_reply_token_is_not_honoured(world_a, world_b, contract_a):
    order = raise_order(world_a, contract_a)
    token_of_b = reply_token(tenant_id=world_b.tenant.pk, thread=f"order:{order.pk}")
    received = receive(world_a, mime(sender=world_a.client_admin.email, to=inbound(world_a, token_of_b)))
    assert received.message.state == "held" and received.code == "bad_reply_address"
    assert counts(world_a)[1] == 0


def test_an_auto_reply_is_held(world_a, contract_a):
    received = receive(world_a, mime(sender=world_a.client_admin.email, to=inbound(world_a),
                                     headers={"Auto-Submitted": "auto-replied"}))
    assert received.message.state == "held" and received.code == "automatic"


# --- bad input --------------------------------------------------------------------------------------


def test_a_malformed_message_is_refused_with_a_400(world_a, api_as, contract_a):
    api = api_as(world_a)
    for raw in (b"", b"this is not an e-mail at all", b"Subject: no sender\r\n\r\nhello\r\n",
                b"From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"):
        response = post(api, raw)
        assert response.status_code == 400, (raw, response.content)
        assert response.json()["code"] == "malformed"
    assert counts(world_a) == (0, 0, 0)


def test_a_huge_message_is_refused_with_a_413_and_not_stored(world_a, api_as, settings, contract_a):
    settings.INBOUND_MAIL_MAX_BYTES = 2000
    raw = mime(sender=world_a.client_admin.email, to=inbound(world_a), body="x" * 5000)
    response = post(api_as(world_a), raw)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    with world_a.context():
        row = InboundMessage.objects.get()
        assert row.state == "rejected" and bytes(row.raw) == b"" and row.size >= 5000
    assert counts(world_a) == (0, 0, 0)


@pytest.mark.parametrize("attachment", [
    ("setup.exe", b"MZ\x90\x00rest-of-a-program", "application", "octet-stream"),
    ("invoice.pdf", b"MZ\x90\x00a-program-in-disguise", "application", "pdf"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n", "text", "x-sh"),
])
def test_a_message_carrying_an_executable_is_refused_and_nothing_is_saved(world_a, api_as, contract_a, attachment):
    raw = mime(sender=world_a.client_admin.email, to=inbound(world_a),
               attachments=[("notes.pdf", PDF, "application", "pdf"), attachment])
    response = post(api_as(world_a), raw)
    assert response.status_code == 422 and response.json()["code"] == "executable"
    assert counts(world_a) == (0, 0, 0)
    with world_a.context():
        assert InboundMessage.objects.get().state == "rejected"


def test_an_executable_inside_an_archive_is_refused(world_a, contract_a):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("tool.exe", b"MZ...")
    received = receive(world_a, mime(sender=world_a.client_admin.email, to=inbound(world_a),
                                     attachments=[("tools.zip", archive.getvalue(), "application", "zip")]))
    assert received.message.state == "rejected" and received.code == "executable"


def test_an_attachment_the_orders_refuse_holds_the_message_and_saves_no_order(world_a, contract_a, settings):
    raw = mime(sender=world_a.client_admin.email, to=inbound(world_a),
               attachments=[("notes.pdf", PDF, "application", "pdf"), ("page.html", b"<html></html>", "text", "html")])
    received = receive(world_a, raw)
    assert received.message.state == "held" and "page.html" in received.message.reason
    assert counts(world_a) == (0, 0, 0)


# --- the endpoint --------------------------------------------------------------------------------------


def test_the_endpoint_answers_what_became_of_the_message(world_a, api_as, contract_a):
    api = api_as(world_a)
    raw = mime(sender=world_a.client_admin.email, to=inbound(world_a))
    created = post(api, raw)
    assert created.status_code == 201 and created.json()["state"] == "order_created" and created.json()["order"]
    again = post(api, raw)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    held = post(api, mime(sender="stranger@elsewhere.example", to=inbound(world_a)))
    assert held.status_code == 202 and held.json()["state"] == "held"
    listed = api.get(INBOUND, {"state": "held"})
    assert [m["id"] for m in listed.json()["results"]] == [held.json()["id"]]
    assert post(api, raw).status_code == 200
    wrong_type = api.post(INBOUND, data=raw, content_type="text/plain")
    assert wrong_type.status_code == 415


def test_only_an_administrators_api_key_may_post_mail(world_a, api_as, contract_a):
    raw = mime(sender=world_a.client_admin.email, to=inbound(world_a))
    assert post(api_as(world_a, world_a.account_manager), raw).status_code == 403
    assert post(api_as(world_a, scopes=("read",)), raw).status_code == 403
    session = Client()
    session.force_login(world_a.admin)
    assert session.post(INBOUND, data=raw, content_type="message/rfc822").status_code in (401, 403)
    assert counts(world_a) == (0, 0, 0)


def test_it_validates_ownership(world_a, world_b, api_as, contract_a):
    """Tenant B's key reads none of tenant A's messages, and its mail lands in B only."""
    held = post(api_as(world_a), mime(sender="stranger@elsewhere.example", to=inbound(world_a))).json()
    api_b = api_as(world_b)
    assert api_b.get(f"{INBOUND}{held['id']}/").status_code == 404
    assert api_b.get(INBOUND).json()["results"] == []
    # A's client contact writing through B's endpoint is a stranger there
    response = post(api_b, mime(sender=world_a.client_admin.email, to=inbound(world_a)))
    assert response.status_code == 202
    assert counts(world_a)[0] == 0


# --- review ------------------------------------------------------------------------------------------------


def held_message(world):
    raw = mime(sender="newcomer@client.example", to=inbound(world), subject="Need a new laptop",
               attachments=[("spec.pdf", PDF, "application", "pdf")])
    return receive(world, raw).message


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_administrator_turns_a_held_message_into_an_order(world_a, world_b, password, contract_a, language):
    message = held_message(world_a)
    other = held_message(world_b)
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    browser.login(username=world_a.admin.username, password=password)
    listing = browser.get("/mail/inbound/")
    assert listing.status_code == 200 and "Need a new laptop" in listing.content.decode()
    assert browser.get(f"/mail/inbound/{other.pk}/").status_code == 404  # tenant B's
    page = browser.get(f"/mail/inbound/{message.pk}/")
    assert page.status_code == 200 and "newcomer@client.example" in page.content.decode()
    refused = browser.post(f"/mail/inbound/{message.pk}/convert/", {"contract": "nonsense"})
    assert refused.status_code == 400
    done = browser.post(f"/mail/inbound/{message.pk}/convert/", {"contract": contract_a.pk, "note": "new contact"})
    assert done.status_code == 302
    with world_a.context():
        message = InboundMessage.objects.get(pk=message.pk)
        order = Order.objects.get()
        assert message.state == "order_created" and message.order == order and message.reviewed_by == world_a.admin
        assert order.title == "Need a new laptop" and order.client_id == world_a.client.pk
        assert OrderAttachment.objects.filter(order=order).count() == 1
    again = browser.post(f"/mail/inbound/{message.pk}/convert/", {"contract": contract_a.pk})
    assert again.status_code == 400  # dealt with already
    assert counts(world_a)[0] == 1
    assert browser.get("/mail/inbound/?state=order_created").status_code == 200
    assert browser.get("/mail/inbound/?state=&page=99").status_code == 200


def test_a_contract_of_another_tenant_cannot_be_chosen(world_a, world_b, password, contract_a):
    message = held_message(world_a)
    contract_b = active_contract(world_b)
    browser = Client()
    browser.login(username=world_a.admin.username, password=password)
    response = browser.post(f"/mail/inbound/{message.pk}/convert/", {"contract": contract_b.pk})
    assert response.status_code == 400
    assert counts(world_a)[0] == 0 and counts(world_b)[0] == 0


def test_an_administrator_discards_a_held_message_saying_why(world_a, password, contract_a):
    message = held_message(world_a)
    browser = Client()
    browser.login(username=world_a.admin.username, password=password)
    assert browser.post(f"/mail/inbound/{message.pk}/discard/", {"note": ""}).status_code == 400
    assert browser.post(f"/mail/inbound/{message.pk}/discard/", {"note": "spam"}).status_code == 302
    with world_a.context():
        message = InboundMessage.objects.get(pk=message.pk)
        assert (message.state, message.review_note, message.reviewed_by) == ("discarded", "spam", world_a.admin)


def test_outgoing_rows_keep_no_thread_without_an_object(world_a):
    with world_a.context():
        sent = mail_queue(template="mail/notification", user=world_a.engineer, context={})
        assert OutboundMessage.objects.get(pk=sent.pk).reply_to == ""


def test_a_reply_to_an_sla_warning_lands_on_its_order(world_a, contract_a, django_capture_on_commit_callbacks):
    """End to end: the SLA notice goes out with the order's reply address; answering it comments."""
    from sla.models import SLAClock
    from sla.notifications import notify_clocks

    order = raise_order(world_a, contract_a)
    mail.outbox.clear()
    with world_a.context(), django_capture_on_commit_callbacks(execute=True):
        clock = SLAClock.objects.filter(order=order, metric="response").get()
        assert notify_clocks(warned=[clock.pk], breached=[]) == 1
    (notice,) = mail.outbox
    assert notice.to == [world_a.account_manager.email] and order.number in notice.subject
    assert f"http://127.0.0.1:8000/orders/{order.pk}/" in notice.body
    (reply_to,) = notice.reply_to
    received = receive(world_a, mime(sender=world_a.account_manager.email, to=reply_to, subject=f"Re: {notice.subject}",
                                     body="Engineer is on the way."))
    assert received.message.state == "comment_added"
    with world_a.context():
        assert OrderComment.objects.get(order=order).body == "Engineer is on the way."
