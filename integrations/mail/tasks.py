"""Celery tasks of incoming e-mail: thin wrappers around the poller."""

from __future__ import annotations

from celery import shared_task

from .imap import poll_mailbox


@shared_task(name="integrations.mail.tasks.poll_imap")
def poll_imap() -> dict:
    """Beat task: take in what waits in the IMAP mailbox (a no-op unless INBOUND_IMAP_HOST is set)."""
    report = poll_mailbox()
    return {"taken_in": report.taken_in, "unrouted": report.unrouted, "failed": report.failed}
