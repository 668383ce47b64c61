"""Acts, confirmations and corrective actions in the Django admin: read-only, inside the tenant wall.

Acts move only through their pages, the API and the tasks, where the services keep the evidence,
the hashes and the seal right; the admin is for looking.
"""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin, TenantScopedTabularInline

from .models import Act, ActEvent, ActLine, Confirmation, CorrectiveAction, SignatureEvidence


class ActLineInline(TenantScopedTabularInline):
    read_only = True
    model = ActLine
    fields = ("position", "order", "description", "quantity", "unit_price", "amount")
    readonly_fields = fields
    extra = 0


class ActEventInline(TenantScopedTabularInline):
    read_only = True
    model = ActEvent
    fields = ("at", "kind", "transition", "from_state", "to_state", "actor_label", "note")
    readonly_fields = fields
    extra = 0


@admin.register(Act)
class ActAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("number", "contract", "client", "period_start", "period_end", "amount", "state", "revision")
    list_filter = ("state",)
    search_fields = ("number",)
    readonly_fields = ("number", "contract", "client", "period_start", "period_end", "language", "currency",
                       "amount", "state", "revision", "pdf_sha256", "sent_at", "accept_by", "sealed_sha256",
                       "dispute_reason", "created_at")
    fields = readonly_fields
    inlines = [ActLineInline, ActEventInline]


@admin.register(Confirmation)
class ConfirmationAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("act", "kind", "rating", "confirmed_by", "confirmed_at")
    list_filter = ("kind", "rating")
    readonly_fields = ("act", "contract", "client", "kind", "rating", "comment", "confirmed_by", "confirmed_at")
    fields = readonly_fields


@admin.register(SignatureEvidence)
class SignatureEvidenceAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("act", "method", "signer_name", "signed_at", "ip_address")
    readonly_fields = ("act", "signer", "signer_name", "method", "signed_at", "ip_address", "user_agent",
                       "document_sha256", "consent_text", "sealed_sha256", "certificate_fingerprint")
    fields = readonly_fields


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("contract", "client", "owner", "state", "opened_at", "closed_at")
    list_filter = ("state",)
    readonly_fields = ("contract", "client", "opened_by", "closed_by", "owner", "state", "note", "opened_at",
                       "closed_at")
    fields = readonly_fields
