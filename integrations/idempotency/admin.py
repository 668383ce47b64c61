"""Each tenant's API rate limits in the Django admin; and the admin's sign-in form, throttled.

Rate limits are the platform's to set, like the tenants themselves: a superuser adds and changes
them; a tenant's administrator sees the current tenant's, read-only.
"""

from __future__ import annotations

from django.contrib import admin

from tenancy.admin_base import PlatformAdmin

from .forms import ThrottledAdminAuthenticationForm
from .models import TenantRateLimit

admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(TenantRateLimit)
class TenantRateLimitAdmin(PlatformAdmin):
    list_display = ("tenant", "reads_per_minute", "writes_per_minute")
    fields = ("tenant", "reads_per_minute", "writes_per_minute")
    list_select_related = ("tenant",)

    def get_readonly_fields(self, request, obj=None):
        return ("tenant",) if obj is not None else ()
