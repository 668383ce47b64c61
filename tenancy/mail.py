"""The one way the platform sends e-mail.

`mail_queue(...)` records an `OutboundMessage` (state "queued") in the caller's transaction and, on
commit, queues the Celery task `send_outbound`. The task renders the named templates —
`<template>_subject.txt`, `<template>.txt` and `<template>.html` — in the recipient's language with
times in the tenant's zone, sends one message with a plain-text and an HTML part, and records the
outcome. SMTP and connection errors are retried with exponential backoff (30 s, 1, 2, 4, 8 min:
OUTBOUND_MAIL_MAX_ATTEMPTS attempts in all); after the last the row says "failed" with the error,
on the tenant admins' page and in the Django admin. A beat task queues again a message whose
Celery message was lost (the broker was down at commit, a worker died).

This module sits at the floor (tenancy): it knows no app above it. Callers name templates and pass
plain context (strings, numbers, datetimes); `thread` ("order:<id>") names what a reply is about,
for the incoming side (integrations.mail), which reads it back through `thread_of_token` and the
stored Message-ID.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import smtplib
import zoneinfo
from email.utils import make_msgid
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .context import require_tenant_id
from .effects import on_commit_task
from .models import OutboundMessage, Tenant

logger = logging.getLogger(__name__)

# What a retry may cure: the SMTP server refused or hung up, the network failed.
RETRYABLE = (smtplib.SMTPException, OSError)
_DATETIME = "__datetime__"
_SECRETS = "__secret_keys__"
# A queued message untouched this long lost its Celery message: longer than any retry countdown.
STALE_AFTER = dt.timedelta(minutes=20)


# --- addresses and reply tokens -------------------------------------------------------------------

# The kinds of thing a reply may be about, and the letter its token starts with.
THREAD_PREFIXES = {"order": "o"}


def _signature(tenant_id: int, thread: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"reply:{tenant_id}:{thread}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def reply_token(*, tenant_id: int, thread: str) -> str:
    """The token a reply address carries for `thread` ("order:<id>"): "o-<id>-<signature>", which
    nobody can make up for another order (the signature is keyed by SECRET_KEY and the tenant)."""
    kind, _, pk = thread.partition(":")
    return f"{THREAD_PREFIXES[kind]}-{pk}-{_signature(tenant_id, thread)}"


def thread_of_token(*, tenant_id: int, token: str) -> str | None:
    """The thread a reply token names, if its signature is right for this tenant; else None."""
    prefix, _, rest = (token or "").lower().partition("-")
    pk, _, signature = rest.partition("-")
    kind = next((k for k, p in THREAD_PREFIXES.items() if p == prefix), None)
    if kind is None or not pk.isdigit() or not signature:
        return None
    thread = f"{kind}:{int(pk)}"
    return thread if hmac.compare_digest(signature, _signature(tenant_id, thread)) else None


def _inbound_parts() -> tuple[str, str] | None:
    address = settings.INBOUND_MAIL_ADDRESS
    if not address or "@" not in address:
        return None
    local, domain = address.rsplit("@", 1)
    return local, domain


def inbound_address(tenant: Tenant, token: str = "") -> str:
    """The tenant's inbound address, `inbound+<slug>@domain`, or a reply address with a token;
    "" when no inbound address is configured."""
    parts = _inbound_parts()
    if parts is None:
        return ""
    local, domain = parts
    return "+".join([local, tenant.slug, *([token] if token else [])]) + "@" + domain


def parse_inbound_address(address: str) -> tuple[str, str] | None:
    """(tenant slug, token or "") of one of our inbound addresses, or None for any other address."""
    parts = _inbound_parts()
    if parts is None or "@" not in (address or ""):
        return None
    local, domain = parts
    their_local, their_domain = address.strip().rsplit("@", 1)
    if their_domain.lower() != domain.lower():
        return None
    pieces = their_local.split("+")
    if pieces[0].lower() != local.lower() or len(pieces) < 2 or not pieces[1]:
        return None
    return pieces[1].lower(), (pieces[2] if len(pieces) > 2 else "")


def absolute_url(path: str) -> str:
    """A deep link users can open from their mail: SITE_URL and the path."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + ("" if path.startswith("/") else "/") + path


# --- queueing ---------------------------------------------------------------------------------------


def recipient_language(*, user, tenant: Tenant) -> str:
    """The recipient's language: their own preference when the user model has one (a profile
    with `language`), else the tenant's, else the site's."""
    languages = dict(settings.LANGUAGES)
    for holder in (getattr(user, "profile", None), user):
        language = getattr(holder, "language", "") if holder is not None else ""
        if language in languages:
            return language
    return tenant.language if tenant.language in languages else settings.LANGUAGE_CODE


def _encode(value: Any) -> Any:
    """Template context as JSON: datetimes keep their instant (shown in the tenant's zone)."""
    if isinstance(value, dt.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_DATETIME}:
            return dt.datetime.fromisoformat(value[_DATETIME])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def mail_queue(*, template: str, user=None, to: str = "", context: dict | None = None, url: str = "",
               thread: str = "", secret_context: dict | None = None, language: str = "") -> OutboundMessage | None:
    """Queue one e-mail to `user` (or to the address `to`) of the current tenant; it is sent after
    commit by `send_outbound`. `url` is the object's path (made absolute with SITE_URL), `thread`
    what a reply is about ("order:<id>"), `secret_context` what the templates need but no row may
    keep (a one-time code): it travels only in the task's message. Returns the row, or None when
    there is no address to send to."""
    tenant_id = require_tenant_id()
    to = (to or getattr(user, "email", "") or "").strip()
    if not to:
        return None
    tenant = Tenant.objects.get(pk=tenant_id)
    stored = _encode(context or {})
    if secret_context:
        stored[_SECRETS] = sorted(secret_context)
    sender_domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    reply_to = inbound_address(tenant, reply_token(tenant_id=tenant_id, thread=thread)) if thread else ""
    message = OutboundMessage.objects.create(
        user=user, to=to, template=template, context=stored, url=url[:300], thread=thread[:64],
        language=language or recipient_language(user=user, tenant=tenant),
        message_id=make_msgid(idstring=f"t{tenant_id}", domain=sender_domain), reply_to=reply_to,
    )
    # robust: a broker that is down at commit must not undo the caller's work; the beat task
    # `requeue_stale` finds the row still queued and queues it again
    _enqueue_after_commit(tenant_id, message.pk, secret_context or None)
    return message


def _enqueue_after_commit(tenant_id: int, message_id: int, secret_context: dict | None) -> None:
    on_commit_task(send_outbound, tenant_id, message_id, secret_context)


# --- sending ----------------------------------------------------------------------------------------


def _render(message: OutboundMessage, secret_context: dict | None) -> EmailMultiAlternatives:
    tenant = message.tenant
    context = {
        **_decode(message.context), **(secret_context or {}),
        "recipient": message.user, "tenant": tenant, "url": absolute_url(message.url),
        "site_url": settings.SITE_URL, "reply_by_mail": bool(message.reply_to),
    }
    with translation.override(message.language), timezone.override(zoneinfo.ZoneInfo(tenant.time_zone)):
        subject = " ".join(render_to_string(f"{message.template}_subject.txt", context).split())
        text = render_to_string(f"{message.template}.txt", context)
        html = render_to_string(f"{message.template}.html", context)
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    email = EmailMultiAlternatives(subject=subject[:300], body=text, to=[message.to], headers=headers,
                                   reply_to=[message.reply_to] if message.reply_to else None)
    email.attach_alternative(html, "text/html")
    return email


def outbound_send(*, message_id: int, secret_context: dict | None = None, last_attempt: bool = True):
    """One attempt at sending a queued message of the current tenant. A message already sent (or
    given up) is left alone: the task may run twice. A retryable error is recorded and raised (the
    task retries); on the last attempt the message is marked failed."""
    message = OutboundMessage.objects.select_related("tenant", "user").filter(pk=message_id).first()
    if message is None or message.state != OutboundMessage.State.QUEUED:
        return message
    rows = OutboundMessage.objects.filter(pk=message.pk)
    rows.update(attempts=F("attempts") + 1, last_attempt_at=timezone.now())
    try:
        email = _render(message, secret_context)
        rows.update(subject=email.subject)
        email.send(fail_silently=False)
    except RETRYABLE as exc:
        state = OutboundMessage.State.FAILED if last_attempt else OutboundMessage.State.QUEUED
        rows.update(state=state, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        log = logger.error if last_attempt else logger.warning
        log("e-mail %s to %s failed (%s): %s", message.pk, message.to, "giving up" if last_attempt else "will retry", exc)
        raise
    except Exception as exc:  # a template or a header that no retry cures
        rows.update(state=OutboundMessage.State.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        logger.exception("e-mail %s to %s cannot be sent", message.pk, message.to)
        raise
    rows.update(state=OutboundMessage.State.SENT, sent_at=timezone.now())
    message.refresh_from_db()
    return message


@shared_task(bind=True, name="tenancy.mail.send_outbound", autoretry_for=RETRYABLE,
             max_retries=max(settings.OUTBOUND_MAIL_MAX_ATTEMPTS - 1, 0),
             retry_backoff=30, retry_backoff_max=8 * 60, retry_jitter=False)
def send_outbound(self, tenant_id: int, message_id: int, secret_context: dict | None = None) -> str:
    """Send one queued e-mail; retried with exponential backoff on SMTP and connection errors."""
    from .context import tenant_context

    with tenant_context(tenant_id):
        message = outbound_send(message_id=message_id, secret_context=secret_context,
                                last_attempt=self.request.retries >= self.max_retries)
    return message.state if message is not None else "missing"


def outbound_requeue_stale() -> int:
    """Queue again the current tenant's messages still queued long after their last attempt (their
    Celery message was lost). One that held a secret cannot be rebuilt: it is marked failed."""
    cutoff = timezone.now() - STALE_AFTER
    stale = OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).filter(
        Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff))
    count = 0
    for message in stale.only("pk", "context", "tenant_id"):
        if _SECRETS in (message.context or {}):
            OutboundMessage.objects.filter(pk=message.pk, state=OutboundMessage.State.QUEUED).update(
                state=OutboundMessage.State.FAILED,
                last_error="Lost before it was sent; it held a one-time secret and is not sent again.")
            continue
        OutboundMessage.objects.filter(pk=message.pk).update(last_attempt_at=timezone.now())
        _enqueue_after_commit(message.tenant_id, message.pk, None)
        count += 1
    return count


@shared_task(name="tenancy.mail.requeue_stale")
def requeue_stale(tenant_id: int | None = None) -> int:
    """Beat task: every tenant's lost outgoing messages, queued again (or marked failed)."""
    from .tasks import per_tenant

    return per_tenant(outbound_requeue_stale, tenant_id)
