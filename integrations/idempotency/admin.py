"""Each tenant's API rate limits in the Django admin; and the admin's sign-in form, throttled.

Rate limits are the platform's to set, like the tenants themselves: a superuser adds and changes
them; a tenant's administrator sees the current tenant's, read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext

from tenancy.context import current_tenant_id
from tenancy.roles import TENANT_ADMINS, has_role

from .forms import ThrottledAdminAuthenticationForm
from .models import TenantRateLimit

admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(TenantRateLimit)
class TenantRateLimitAdmin(admin.ModelAdmin):
    list_display = ("tenant", "reads_per_minute", "writes_per_minute")
    fields = ("tenant", "reads_per_minute", "writes_per_minute")
    list_select_related = ("tenant",)

    @staticmethod
    def _is_platform_admin(request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.is_superuser

    @staticmethod
    def _is_tenant_admin(request, obj=None) -> bool:
        user = request.user
        tenant_id = current_tenant_id()
        return (
            user.is_active and user.is_staff and tenant_id is not None
            and (obj is None or obj.tenant_id == tenant_id) and has_role(user, TENANT_ADMINS)
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._is_platform_admin(request):
            return queryset
        tenant_id = current_tenant_id()
        return queryset.filter(tenant_id=tenant_id) if tenant_id is not None else queryset.none()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No %(name)s matches the given query.") % {"name": self.opts.verbose_name})
        return obj

    def get_readonly_fields(self, request, obj=None):
        return ("tenant",) if obj is not None else ()

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_platform_admin(request) or self._is_tenant_admin(request, obj)

    def has_add_permission(self, request):
        return self._is_platform_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_platform_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_platform_admin(request)
