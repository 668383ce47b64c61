"""Billing rows in the Django admin, to look at: invoices change through the billing desk and the API,
whose services number, lock and record them; here they are read-only `TenantScopedAdmin`s."""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin

from .models import CreditNote, Invoice, InvoiceEvent, InvoiceLine, RatingBand


class ReadOnlyBillingAdmin(TenantScopedAdmin):
    read_only = True  # administrators and account managers look; accountants work on /billing/

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "tenant"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyBillingAdmin):
    list_display = ("__str__", "contract", "client", "period_start", "state", "total", "issue_date")
    list_filter = ("state",)
    list_select_related = ("contract", "client")
    search_fields = ("number",)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyBillingAdmin):
    list_display = ("invoice", "position", "kind", "amount", "vat")
    list_select_related = ("invoice",)


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyBillingAdmin):
    list_display = ("number", "invoice", "amount", "vat", "total", "issue_date")
    list_select_related = ("invoice",)


@admin.register(RatingBand)
class RatingBandAdmin(ReadOnlyBillingAdmin):
    list_display = ("contract", "min_rating", "adjustment_pct")
    list_select_related = ("contract",)


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyBillingAdmin):
    list_display = ("invoice", "kind", "from_state", "to_state", "actor_label", "at")
    list_select_related = ("invoice",)
