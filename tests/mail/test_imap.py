"""The IMAP poller against a real IMAP server (Dovecot, started by the fixture): messages APPENDed
to the mailbox become orders, comments and held messages of the tenant they are addressed to, are
moved out of the inbox, and a second poll reads none of them again."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from integrations.mail.models import InboundMessage
from integrations.mail.tasks import poll_imap
from orders.models import Order, OrderComment
from tenancy.mail import reply_token
from tests.contracts.api_support import active_contract
from tests.support import raise_order

from .dovecot import start_dovecot, stop_dovecot
from .support import PDF, inbound, mime

pytestmark = pytest.mark.django_db


@pytest.fixture
def imap_server(settings):
    # not under pytest's temporary directory: that one is private to us, and as root Dovecot
    # stores mail as another user, who must reach the directory
    directory = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
    process, server = start_dovecot(directory)
    settings.INBOUND_IMAP_HOST = server.host
    settings.INBOUND_IMAP_PORT = server.port
    settings.INBOUND_IMAP_SSL = False
    settings.INBOUND_IMAP_USER = server.user
    settings.INBOUND_IMAP_PASSWORD = server.password
    yield server
    stop_dovecot(process)
    shutil.rmtree(directory, ignore_errors=True)


def test_the_poller_takes_in_each_tenants_mail_once(imap_server, world_a, world_b):
    contract_a = active_contract(world_a)
    active_contract(world_b)
    order_a = raise_order(world_a, contract_a)
    token = reply_token(tenant_id=world_a.tenant.pk, thread=f"order:{order_a.pk}")
    imap_server.append(mime(sender=world_a.client_admin.email, to=inbound(world_a), subject="Scanner broken",
                            attachments=[("photo.pdf", PDF, "application", "pdf")]))
    imap_server.append(mime(sender=world_a.client_admin.email, to=inbound(world_a, token), subject="Re: printer",
                            body="Still jammed.\n\n> quoted"))
    imap_server.append(mime(sender="stranger@elsewhere.example", to=inbound(world_a), subject="Hello"))
    imap_server.append(mime(sender=world_b.client_admin.email, to=inbound(world_b), subject="B's request"))
    imap_server.append(mime(sender=world_a.client_admin.email, to=inbound(world_b), subject="A's contact at B"))
    imap_server.append(mime(sender=world_a.client_admin.email, to="someone@else.example", subject="Not for us"))
    imap_server.append(b"From: broken@client.example\r\nTo: " + inbound(world_a).encode()
                       + b"\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n")

    assert poll_imap.delay().get() == {"taken_in": 6, "unrouted": 1, "failed": 0}

    with world_a.context():
        scanner = Order.objects.get(title="Scanner broken")
        assert scanner.client_id == world_a.client.pk and scanner.attachments.count() == 1
        comment = OrderComment.objects.get()
        assert (comment.order_id, comment.body, comment.internal) == (order_a.pk, "Still jammed.", False)
        states = dict(InboundMessage.objects.values_list("subject", "state"))
        assert states == {"Scanner broken": "order_created", "Re: printer": "comment_added", "Hello": "held", "": "rejected"}
        assert all(m.source == "imap" for m in InboundMessage.objects.all())
    with world_b.context():
        assert list(Order.objects.values_list("title", flat=True)) == ["B's request"]
        assert dict(InboundMessage.objects.values_list("subject", "state")) == {
            "B's request": "order_created", "A's contact at B": "held"}  # a stranger to tenant B

    assert imap_server.count("INBOX") == 0
    assert imap_server.count("Processed") == 6
    assert imap_server.count("Unrouted") == 1  # kept, not dropped

    # a second poll finds nothing; the same message delivered again is recognised by its Message-ID
    assert poll_imap.delay().get() == {"taken_in": 0, "unrouted": 0, "failed": 0}
    imap_server.append(mime(sender=world_a.client_admin.email, to=inbound(world_a), subject="Scanner broken",
                            message_id=_message_id_of(world_a, "Scanner broken")))
    assert poll_imap.delay().get()["taken_in"] == 1
    with world_a.context():
        assert Order.objects.filter(title="Scanner broken").count() == 1


def _message_id_of(world, subject: str) -> str:
    with world.context():
        return InboundMessage.objects.get(subject=subject).message_id


def test_a_message_over_the_limit_is_not_downloaded_and_is_rejected(imap_server, world_a, settings):
    active_contract(world_a)
    settings.INBOUND_MAIL_MAX_BYTES = 4000
    imap_server.append(mime(sender=world_a.client_admin.email, to=inbound(world_a), subject="Big one",
                            body="y" * 20000))
    assert poll_imap.delay().get() == {"taken_in": 1, "unrouted": 0, "failed": 0}
    with world_a.context():
        row = InboundMessage.objects.get()
        assert (row.state, row.subject, bytes(row.raw)) == ("rejected", "Big one", b"") and row.size > 20000
        assert Order.objects.count() == 0
    assert imap_server.count("Processed") == 1


def test_without_a_configured_host_the_poller_does_nothing(settings):
    settings.INBOUND_IMAP_HOST = ""
    assert poll_imap.delay().get() == {"taken_in": 0, "unrouted": 0, "failed": 0}
