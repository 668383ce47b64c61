"""Webhooks in the Django admin: read-only, inside the tenant wall, for tenant administrators (the
endpoints are managed on their page and through the API, where the secret is made and shown once;
it is never shown here)."""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin, TenantScopedTabularInline
from tenancy.roles import TENANT_ADMINS

from .models import Attempt, Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(TenantScopedAdmin):
    read_only = True
    view_roles = TENANT_ADMINS
    manage_roles = TENANT_ADMINS
    list_display = ("url", "description", "client", "is_active", "failing_since", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    fields = ("url", "description", "event_types", "client", "is_active", "disabled_at", "disabled_reason",
              "failing_since", "previous_secret_expires_at", "created_by", "created_at")
    readonly_fields = fields


class AttemptInline(TenantScopedTabularInline):
    read_only = True
    model = Attempt
    fields = ("at", "status_code", "ok", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    read_only = True
    view_roles = TENANT_ADMINS
    manage_roles = TENANT_ADMINS
    list_display = ("message_id", "event_type", "endpoint", "state", "tries", "next_attempt_at", "created_at")
    list_filter = ("state", "event_type")
    search_fields = ("message_id", "event_type")
    fields = ("endpoint", "message_id", "event_type", "event_key", "state", "tries", "next_attempt_at",
              "last_status", "delivered_at", "created_at", "body")
    readonly_fields = fields
    inlines = [AttemptInline]
