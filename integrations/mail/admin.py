"""Incoming e-mail in the Django admin: a read-only log for the tenant's administrators (held
messages are reviewed on /mail/inbound/, where turning one into an order goes through the service)."""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin
from tenancy.roles import TENANT_ADMINS

from .models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(TenantScopedAdmin):
    manage_roles = TENANT_ADMINS
    read_only = True
    list_display = ("received_at", "from_address", "subject", "state", "source", "order")
    list_filter = ("state", "source")
    list_select_related = ("order",)
    search_fields = ("from_address", "subject", "message_id")
    fields = ("received_at", "source", "message_id", "from_address", "from_name", "subject", "body",
              "attachment_names", "size", "state", "reason", "sender", "order", "comment", "reviewed_by",
              "reviewed_at", "review_note")
    readonly_fields = fields
