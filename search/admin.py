from django.contrib import admin

from tenancy.admin_base import TenantScopedAdmin

from .models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(TenantScopedAdmin):
    list_display = ("name", "list_name", "user", "created_at")
    list_filter = ("list_name",)
    search_fields = ("name", "user__username")
