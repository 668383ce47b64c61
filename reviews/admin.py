"""Reviews in the Django admin: read-only, inside the tenant wall (they move through their pages,
the API and the tasks, where the services keep the snapshot, the checks and the timeline)."""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin, TenantScopedTabularInline

from .models import ActionItem, Review


class ActionItemInline(TenantScopedTabularInline):
    read_only = True
    model = ActionItem
    fields = ("what", "owner", "due_date", "state", "evidence_note")
    readonly_fields = fields
    extra = 0


@admin.register(Review)
class ReviewAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("contract", "client", "kind", "period_start", "period_end", "proposed_meeting_date", "state")
    list_filter = ("state", "kind")
    readonly_fields = ("contract", "client", "kind", "period_start", "period_end", "proposed_meeting_date", "state",
                       "held_on", "provider_attendees", "client_attendees", "minutes", "prepared_at", "closed_at",
                       "cancel_reason", "created_at")
    inlines = [ActionItemInline]
