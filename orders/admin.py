"""Teams in the Django admin (the one place they are set up), and orders to look at.

Both are `TenantScopedAdmin`s (tenancy/admin_base.py): the current tenant's rows only, another
tenant's id is a 404. Orders are read-only here: their stages, comments and clocks move through
the order pages and the API, where the services keep the sides and the SLA clocks right.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tenancy.admin_base import TenantScopedAdmin, TenantScopedTabularInline
from tenancy.selectors import provider_staff

from .models import Order, OrderEvent, Team, TeamMember


class TeamMemberInline(TenantScopedTabularInline):
    model = TeamMember
    fields = ("user",)
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            field.queryset = provider_staff()
        return field

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)  # leaving a team is not a loss of history


@admin.register(Team)
class TeamAdmin(TenantScopedAdmin):
    list_display = ("name", "kind", "provider", "member_count")
    list_filter = ("kind",)
    search_fields = ("name",)
    fields = ("name", "kind", "provider")
    inlines = [TeamMemberInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).select_related("provider").annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team):
        return team.member_count


class OrderEventInline(TenantScopedTabularInline):
    model = OrderEvent
    read_only = True
    fields = ("at", "kind", "transition", "from_state", "to_state", "actor_label", "note", "client_visible")
    readonly_fields = fields
    ordering = ("at", "id")


@admin.register(Order)
class OrderAdmin(TenantScopedAdmin):
    read_only = True
    list_display = ("number", "title", "kind", "priority", "state", "client", "contract", "team", "assignee",
                    "reported_at")
    list_filter = ("state", "kind", "priority")
    list_select_related = ("client", "contract", "team", "assignee")
    search_fields = ("number", "title")
    show_full_result_count = False  # "of N in all" would count a tenant's whole history on every page
    fields = ("number", "title", "kind", "priority", "state", "client", "contract", "team", "assignee",
              "reported_at", "reported_by", "desired_deadline", "description", "expected_result")
    readonly_fields = fields
    inlines = [OrderEventInline]
