"""Helpers of the e-mail tests: raw messages built with the `email` package."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from django.conf import settings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def inbound(world, token: str = "") -> str:
    """The world's tenant inbound address (with a reply token if given)."""
    local, domain = settings.INBOUND_MAIL_ADDRESS.rsplit("@", 1)
    return "+".join([local, world.tenant.slug, *([token] if token else [])]) + "@" + domain


def mime(*, sender: str, to: str, subject: str = "Printer jammed", body: str = "The printer on floor 3 is jammed.",
         attachments=(), message_id: str | None = None, headers: dict | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, content, maintype, subtype in attachments:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
