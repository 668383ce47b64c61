"""The IMAP poller: every message in the configured mailbox folder is taken in for the tenant(s)
whose inbound address it names, then moved out of the folder, so none is read twice.

- to INBOUND_IMAP_PROCESSED_FOLDER once taken in (an order, a comment, held or rejected: its row
  says which); taking in is idempotent by Message-ID, so a poll cut short after taking a message in
  but before moving it only moves it next time;
- to INBOUND_IMAP_UNROUTED_FOLDER when it names no tenant's address (kept there, never deleted);
- a message that fails unexpectedly stays where it is, is logged, and is tried again next poll.
A message over INBOUND_MAIL_MAX_BYTES is not downloaded: its headers are, and it is rejected.
"""

from __future__ import annotations

import imaplib
import logging
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from django.conf import settings

from tenancy.context import tenant_context
from tenancy.mail import parse_inbound_address
from tenancy.models import Tenant

from .models import InboundMessage
from .services import inbound_receive

logger = logging.getLogger(__name__)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass
class PollReport:
    taken_in: int = 0
    unrouted: int = 0
    failed: int = 0


def tenants_addressed(head: bytes) -> list[Tenant]:
    """The tenants whose inbound address the message's headers name."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(head, headersonly=True)
        slugs = set()
        for name in _RECIPIENT_HEADERS:
            for header in message.get_all(name, []) or []:
                for address in getattr(header, "addresses", ()):
                    parsed = parse_inbound_address(address.addr_spec or "")
                    if parsed is not None:
                        slugs.add(parsed[0])
    except Exception:  # noqa: BLE001 — headers that cannot be read name no tenant: the message goes to unrouted
        logger.warning("incoming e-mail with unreadable headers", exc_info=True)
        return []
    return list(Tenant.objects.filter(slug__in=slugs).order_by("pk")) if slugs else []


def _connect() -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if settings.INBOUND_IMAP_SSL else imaplib.IMAP4
    imap = cls(settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, timeout=60)
    imap.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
    return imap


def _check(result: tuple, what: str) -> list:
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


def _move(imap: imaplib.IMAP4, uid: bytes, folder: str) -> None:
    if "MOVE" in imap.capabilities:
        _check(imap.uid("MOVE", uid, folder), "MOVE")
        return
    _check(imap.uid("COPY", uid, folder), "COPY")
    _check(imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted \Seen)"), "STORE")
    _check(imap.expunge(), "EXPUNGE")


def _fetch(imap: imaplib.IMAP4, uid: bytes, item: str) -> bytes:
    data = _check(imap.uid("FETCH", uid, f"({item})"), "FETCH")
    for part in data:
        if isinstance(part, tuple):
            return part[1]
    return b""


def poll_mailbox() -> PollReport:
    """One pass over the mailbox folder (a no-op when INBOUND_IMAP_HOST is unset)."""
    report = PollReport()
    if not settings.INBOUND_IMAP_HOST:
        return report
    imap = _connect()
    try:
        for folder in (settings.INBOUND_IMAP_PROCESSED_FOLDER, settings.INBOUND_IMAP_UNROUTED_FOLDER):
            imap.create(folder)  # NO when it exists already: fine
        _check(imap.select(settings.INBOUND_IMAP_FOLDER), "SELECT")
        uids = _check(imap.uid("SEARCH", None, "ALL"), "SEARCH")[0].split()
        for uid in uids:
            try:
                _take_in(imap, uid, report)
            except (imaplib.IMAP4.abort, OSError):
                raise  # the connection is gone: the next poll starts again
            except Exception:
                report.failed += 1
                logger.exception("incoming e-mail uid %s could not be taken in; it stays in the mailbox", uid)
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    if report.taken_in or report.unrouted or report.failed:
        logger.info("IMAP poll: %s taken in, %s unrouted, %s failed", report.taken_in, report.unrouted, report.failed)
    return report


def _take_in(imap: imaplib.IMAP4, uid: bytes, report: PollReport) -> None:
    size_data = _check(imap.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH")
    found = _SIZE.search(b" ".join(p if isinstance(p, bytes) else p[0] for p in size_data if p))
    size = int(found.group(1)) if found else 0
    head = _fetch(imap, uid, "BODY.PEEK[HEADER]")
    tenants = tenants_addressed(head)
    if not tenants:
        _move(imap, uid, settings.INBOUND_IMAP_UNROUTED_FOLDER)
        report.unrouted += 1
        logger.warning("incoming e-mail uid %s names no tenant's address: moved to %s", uid,
                       settings.INBOUND_IMAP_UNROUTED_FOLDER)
        return
    too_large = size > settings.INBOUND_MAIL_MAX_BYTES
    raw = head if too_large else _fetch(imap, uid, "BODY.PEEK[]")
    for tenant in tenants:
        with tenant_context(tenant):
            inbound_receive(raw=raw, source=InboundMessage.Source.IMAP, size=size if too_large else None)
    _move(imap, uid, settings.INBOUND_IMAP_PROCESSED_FOLDER)
    report.taken_in += 1
