"""SLA rows in the Django admin, to look at: calendars, policies, force majeure and breaches.

They are changed on the SLA pages and through the API, whose services validate calendars,
recompute the running clocks and keep force majeure and breaches consistent; here they are
read-only `TenantScopedAdmin`s (the current tenant's rows only, another tenant's id a 404).
"""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin

from .models import Breach, BusinessCalendar, ForceMajeure, SLAPolicy


class ReadOnlySLAAdmin(TenantScopedAdmin):
    read_only = True

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "tenant"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnlySLAAdmin):
    list_display = ("name", "time_zone", "always_on", "holiday_country")
    search_fields = ("name",)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(ReadOnlySLAAdmin):
    list_display = ("contract", "priority", "response_target", "resolution_target", "calendar",
                    "warning_threshold_pct", "penalty_per_breach")
    list_filter = ("priority",)
    list_select_related = ("contract", "calendar")


@admin.register(ForceMajeure)
class ForceMajeureAdmin(ReadOnlySLAAdmin):
    list_display = ("contract", "started_at", "lifted_at", "reason")
    list_select_related = ("contract",)


@admin.register(Breach)
class BreachAdmin(ReadOnlySLAAdmin):
    list_display = ("order", "metric", "contract", "provider", "due_at", "breached_at", "penalty", "waived_at")
    list_filter = ("metric",)
    list_select_related = ("order", "contract", "provider")
    search_fields = ("order__number",)
