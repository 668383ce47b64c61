from __future__ import annotations

from django.contrib.auth import get_user_model

from .models import ApiKey, Membership
from .roles import PROVIDER_ROLES


def user_memberships(user) -> list[Membership]:
    """The tenants `user` may work in, for the switcher; needs the current user set (RLS)."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects_for_user(user)
        .filter(is_active=True)
        .select_related("tenant")  # not the client: its row is behind RLS until a tenant is set
        .order_by("tenant__name")
    )


def api_key_list():
    return ApiKey.objects.select_related("created_by").order_by("-created_at")


def tenant_members(*, roles=None):
    queryset = Membership.objects.filter(is_active=True).select_related("user", "client")
    if roles is not None:
        queryset = queryset.filter(role__in=list(roles))
    return queryset.order_by("user__last_name", "user__username")


def provider_staff():
    """Users with an active provider-side membership in the current tenant: who may be assigned
    an order or join a team."""
    members = Membership.objects.filter(is_active=True, role__in=sorted(PROVIDER_ROLES))
    return get_user_model().objects.filter(pk__in=members.values("user_id")).order_by("last_name", "username")
