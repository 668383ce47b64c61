"""Disputes in the Django admin: read-only, inside the tenant wall (they move through their pages,
the API and the beat, where the services keep the deadlines, the owners and the timeline)."""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin, TenantScopedTabularInline

from .models import Dispute, DisputeCreditNote, DisputeDocument, DisputeEvent


class DisputeDocumentInline(TenantScopedTabularInline):
    read_only = True
    model = DisputeDocument
    fields = ("original_name", "content_type", "size", "sha256", "side", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0


class DisputeCreditNoteInline(TenantScopedTabularInline):
    read_only = True
    model = DisputeCreditNote
    fields = ("credit_note", "amount", "created_at")
    readonly_fields = fields
    extra = 0


class DisputeEventInline(TenantScopedTabularInline):
    read_only = True
    model = DisputeEvent
    fields = ("at", "kind", "transition", "from_state", "to_state", "actor_label", "note")
    readonly_fields = fields
    extra = 0


@admin.register(Dispute)
class DisputeAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("number", "title", "contract", "kind", "state", "stage_deadline", "opened_side", "compensation")
    list_filter = ("state", "kind", "opened_side")
    search_fields = ("number", "title")
    readonly_fields = ("number", "contract", "client", "kind", "act", "invoice_line", "title", "description",
                       "opened_by", "opened_side", "claimed_amount", "state", "stage_started_on", "stage_deadline",
                       "resolution_note", "compensation", "resolved_by", "resolved_at", "withdrawn_at",
                       "escalation_alerted_at", "created_at")
    inlines = [DisputeDocumentInline, DisputeCreditNoteInline, DisputeEventInline]
