"""Reads of the mail pages."""

from __future__ import annotations

from tenancy.models import OutboundMessage

from .models import InboundMessage


def inbound_list(*, state: str = ""):
    messages = InboundMessage.objects.select_related("order", "sender").defer("raw", "body")
    return messages.filter(state=state) if state else messages


def inbound_get(*, message_id) -> InboundMessage:
    return InboundMessage.objects.select_related("order", "comment", "sender", "reviewed_by").defer("raw").get(
        pk=message_id)


def outbound_list(*, state: str = ""):
    messages = OutboundMessage.objects.select_related("user").defer("context")
    return messages.filter(state=state) if state else messages
