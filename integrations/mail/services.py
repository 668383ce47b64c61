"""Incoming e-mail: a message from a known client contact becomes an order of that client, a reply
to a notification a comment on its order, anything else is held for review; never dropped.

Orders, comments and attachments are made by the orders app's services (their rules, their checks
of file types); a message and what it became are saved in one transaction, so a refusal leaves
nothing half-saved, only the message's row saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractState
from orders.models import Order
from orders.services import order_attach, order_comment, order_create_with_attachments
from tenancy.context import require_tenant_id
from tenancy.errors import ActionForbidden, DomainError
from tenancy.mail import parse_inbound_address, thread_of_token
from tenancy.models import Membership, OutboundMessage, Tenant
from tenancy.roles import CLIENT_ROLES, TENANT_ADMINS, has_role

from .models import InboundMessage, InboundState
from .parsing import MailRefused, ParsedMail, fallback_message_id, parse, peek, reply_text

logger = logging.getLogger(__name__)
VIA = "e-mail"


@dataclass
class Received:
    """What became of one received message; `duplicate` when it had been received before."""

    message: InboundMessage
    duplicate: bool = False
    code: str = ""  # why it was refused or held: malformed, too_large, executable, unknown_sender, ...


def _uploads(parsed: ParsedMail) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(a.name, a.content, content_type=a.content_type) for a in parsed.attachments]


def _row(*, raw: bytes, source: str, parsed: ParsedMail | None, state: str, reason: str = "", **fields) -> InboundMessage:
    if parsed is not None:
        fields.update(message_id=parsed.message_id, from_address=parsed.from_address, from_name=parsed.from_name,
                      subject=parsed.subject, body=parsed.body,
                      attachment_names=[a.name for a in parsed.attachments])
    return InboundMessage.objects.create(source=source, raw=raw, size=len(raw), state=state, reason=reason, **fields)


def _sender(address: str):
    """The one active member of the current tenant with this e-mail address: (user, membership),
    or (None, reason)."""
    memberships = list(Membership.objects.filter(user__email__iexact=address, is_active=True, user__is_active=True)
                       .select_related("user", "client"))
    users = {m.user_id for m in memberships}
    if not users:
        return None, _("The sender %(address)s is not a user of this organisation.") % {"address": address}
    if len(users) > 1:
        return None, _("Several accounts share the address %(address)s.") % {"address": address}
    return memberships[0].user, memberships[0]


def _thread(parsed: ParsedMail, tenant: Tenant) -> tuple[str | None, str]:
    """The thread the message answers ("order:<id>"), from a reply address's token or from the
    Message-ID of one of our notifications it refers to; (None, "") for a new message and
    (None, reason) for a reply address that is not genuine."""
    for recipient in parsed.recipients:
        parsed_address = parse_inbound_address(recipient)
        if parsed_address is None or parsed_address[0] != tenant.slug or not parsed_address[1]:
            continue
        thread = thread_of_token(tenant_id=tenant.pk, token=parsed_address[1])
        if thread is None:
            return None, _("The reply address %(address)s is not one this organisation gave out.") % {"address": recipient}
        return thread, ""
    if parsed.references:
        outbound = (OutboundMessage.objects.filter(message_id__in=parsed.references).exclude(thread="")
                    .order_by("-created_at").first())
        if outbound is not None:
            return outbound.thread, ""
    return None, ""


def _refuse(*, raw: bytes, source: str, refused: MailRefused, keep_raw: bool = True, size: int | None = None) -> Received:
    from_address, subject, message_id = peek(raw)
    message_id = message_id or fallback_message_id(raw)
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return Received(existing, duplicate=True, code=refused.code)
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                source=source, raw=raw if keep_raw else b"", size=len(raw) if size is None else size,
                state=InboundState.REJECTED, reason=refused.reason, message_id=message_id,
                from_address=from_address, subject=subject)
    except IntegrityError:
        return Received(InboundMessage.objects.get(message_id=message_id), duplicate=True, code=refused.code)
    logger.info("incoming e-mail %s refused (%s): %s", message.pk, refused.code, refused.reason)
    return Received(message, code=refused.code)


def inbound_receive(*, raw: bytes, source: str, size: int | None = None) -> Received:
    """Take in one raw message for the current tenant: an order, a comment, held or rejected.

    Idempotent by Message-ID: a message received again returns its first row, changed nothing.
    `size`: the message's real size when `raw` holds only its headers (a mailbox's message too
    large to download).
    """
    tenant = Tenant.objects.get(pk=require_tenant_id())
    limit = settings.INBOUND_MAIL_MAX_BYTES
    size = len(raw) if size is None else size
    if size > limit:
        refused = MailRefused(_("The message is %(size)s; at most %(limit)s is accepted.")
                              % {"size": filesizeformat(size), "limit": filesizeformat(limit)}, "too_large")
        return _refuse(raw=raw[:64 * 1024], source=source, refused=refused, keep_raw=False, size=size)
    try:
        parsed = parse(raw)
    except MailRefused as refused:
        return _refuse(raw=raw, source=source, refused=refused)
    existing = InboundMessage.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return Received(existing, duplicate=True)
    try:
        return _route(raw=raw, source=source, parsed=parsed, tenant=tenant)
    except IntegrityError:  # the same message taken in at once by another poller: theirs stands
        existing = InboundMessage.objects.filter(message_id=parsed.message_id).first()
        if existing is None:
            raise
        return Received(existing, duplicate=True)


def _hold(*, raw: bytes, source: str, parsed: ParsedMail, reason: str, code: str, **fields) -> Received:
    with transaction.atomic():
        message = _row(raw=raw, source=source, parsed=parsed, state=InboundState.HELD, reason=reason, **fields)
    return Received(message, code=code)


def _route(*, raw: bytes, source: str, parsed: ParsedMail, tenant: Tenant) -> Received:
    if parsed.automatic:
        return _hold(raw=raw, source=source, parsed=parsed, code="automatic",
                     reason=_("An automatic message (an auto-reply or a list): held so that it adds nothing by itself."))
    user, membership_or_reason = _sender(parsed.from_address)
    if user is None:
        return _hold(raw=raw, source=source, parsed=parsed, reason=membership_or_reason, code="unknown_sender")
    membership = membership_or_reason
    thread, bad_reply = _thread(parsed, tenant)
    if bad_reply:
        return _hold(raw=raw, source=source, parsed=parsed, reason=bad_reply, code="bad_reply_address", sender=user)
    if thread is not None:
        return _comment(raw=raw, source=source, parsed=parsed, user=user, thread=thread)
    if membership.role not in CLIENT_ROLES:
        return _hold(raw=raw, source=source, parsed=parsed, sender=user, code="not_a_client",
                     reason=_("A new order comes from a client's contact; %(address)s is the provider's staff.")
                     % {"address": parsed.from_address})
    contracts = list(Contract.objects.filter(client_id=membership.client_id, state=ContractState.ACTIVE)[:2])
    if len(contracts) != 1:
        reason = (_("The client has no active contract to raise the order on.") if not contracts
                  else _("The client has several active contracts: choose the one for this order."))
        return _hold(raw=raw, source=source, parsed=parsed, sender=user, reason=reason, code="no_contract")
    try:
        with transaction.atomic():
            # the row first: a second poller taking the same message fails here, before any file is written
            message = _row(raw=raw, source=source, parsed=parsed, state=InboundState.ORDER_CREATED, sender=user)
            message.order = order_create_with_attachments(
                actor=user, contract=contracts[0], title=parsed.subject or _("(no subject)"),
                description=parsed.body, attachments=_uploads(parsed), via=VIA)
            message.save(update_fields=["order"])
    except DomainError as refusal:  # ActionForbidden too
        return _hold(raw=raw, source=source, parsed=parsed, sender=user, reason=str(refusal.message),
                     code="refused_by_orders")
    return Received(message)


def _comment(*, raw: bytes, source: str, parsed: ParsedMail, user, thread: str) -> Received:
    kind, _sep, pk = thread.partition(":")
    order = Order.objects.filter(pk=int(pk)).first() if kind == "order" and pk.isdigit() else None
    if order is None:
        return _hold(raw=raw, source=source, parsed=parsed, sender=user, code="no_order",
                     reason=_("The order this message answers no longer exists."))
    text = reply_text(parsed.body)
    if not text:
        return _hold(raw=raw, source=source, parsed=parsed, sender=user, order=order, code="empty_reply",
                     reason=_("The reply has no text of its own."))
    written = []
    try:
        with transaction.atomic():
            message = _row(raw=raw, source=source, parsed=parsed, state=InboundState.COMMENT_ADDED, sender=user,
                           order=order)
            message.comment = order_comment(order=order, actor=user, body=text, internal=False)
            for upload in _uploads(parsed):
                written.append(order_attach(order=order, actor=user, upload=upload, via=VIA))
            message.save(update_fields=["comment"])
    except DomainError as refusal:  # ActionForbidden too
        for attachment in written:
            attachment.file.delete(save=False)
        return _hold(raw=raw, source=source, parsed=parsed, sender=user, order=order, code="refused_by_orders",
                     reason=str(refusal.message))
    return Received(message)


# --- review of held messages --------------------------------------------------------------------


def _check_reviewer(actor) -> None:
    if not has_role(actor, TENANT_ADMINS):
        raise ActionForbidden(_("Only an administrator reviews incoming e-mail."))


def _claim_held(message: InboundMessage) -> InboundMessage:
    locked = InboundMessage.objects.select_for_update(of=("self",)).get(pk=message.pk)
    if locked.state != InboundState.HELD:
        raise DomainError(_("This message has already been dealt with."), code="not_held")
    return locked


def inbound_convert(*, message: InboundMessage, actor, contract: Contract, note: str = "") -> InboundMessage:
    """An administrator turns a held message into an order on `contract` (of the chosen client),
    reported when the message arrived, with its attachments; recorded on the message."""
    _check_reviewer(actor)
    received = message.received_at
    reported_at = received if received > timezone.now() - dt.timedelta(days=29) else None
    with transaction.atomic():
        message = _claim_held(message)
        parsed = parse(bytes(message.raw)) if message.raw else None
        uploads = _uploads(parsed) if parsed is not None else []
        sender = message.from_name or message.from_address
        description = message.body + ("\n\n— " + _("by e-mail from %(sender)s") % {"sender": sender} if sender else "")
        order = order_create_with_attachments(
            actor=actor, contract=contract, title=message.subject or _("(no subject)"), description=description,
            attachments=uploads, reported_at=reported_at, via=VIA)
        InboundMessage.objects.filter(pk=message.pk).update(
            state=InboundState.ORDER_CREATED, order=order, reviewed_by=actor, reviewed_at=timezone.now(),
            review_note=note.strip())
    message.refresh_from_db()
    return message


def inbound_discard(*, message: InboundMessage, actor, note: str) -> InboundMessage:
    """An administrator discards a held message, saying why; the message stays on record."""
    _check_reviewer(actor)
    if not (note or "").strip():
        raise DomainError(_("Say why the message is discarded."), field="note", code="required")
    with transaction.atomic():
        message = _claim_held(message)
        InboundMessage.objects.filter(pk=message.pk).update(
            state=InboundState.DISCARDED, reviewed_by=actor, reviewed_at=timezone.now(), review_note=note.strip())
    message.refresh_from_db()
    return message

