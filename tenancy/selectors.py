from __future__ import annotations

from django.contrib.auth import get_user_model

from .context import current_tenant_id
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


def tenant_clients():
    """The tenant's client companies by name: the choices of a membership's client on the people
    pages and in their API. The model is the one `Membership.client` points at (contracts', above
    tenancy), so tenancy names it without importing contracts."""
    return Membership._meta.get_field("client").related_model._default_manager.order_by("name")


def tenant_users(*, active_only: bool = True):
    """Users with a membership in the current tenant (an active one, unless `active_only=False`), by
    username; none without a current tenant. The choices of a user field in the API, its filters and
    the admin."""
    users = get_user_model()._default_manager
    if current_tenant_id() is None:
        return users.none()
    memberships = Membership.objects.all()
    if active_only:
        memberships = memberships.filter(is_active=True)
    return users.filter(pk__in=memberships.values("user_id")).order_by("username")


def provider_staff():
    """Users with an active provider-side membership in the current tenant: who may be assigned
    an order or join a team."""
    members = Membership.objects.filter(is_active=True, role__in=sorted(PROVIDER_ROLES))
    return get_user_model().objects.filter(pk__in=members.values("user_id")).order_by("last_name", "username")


def member_list():
    """Every membership of the current tenant, active ones first, with the person and the client."""
    return (Membership.objects.select_related("user", "client")
            .order_by("-is_active", "user__last_name", "user__first_name", "user__username"))


def member_get(*, membership_id: int) -> Membership:
    """One membership of the current tenant (another tenant's: DoesNotExist, as if there were none)."""
    return member_list().get(pk=membership_id)


def member_events(membership: Membership):
    from .models import MembershipEvent

    return MembershipEvent.objects.filter(membership=membership).select_related("actor").order_by("-at", "-id")


def invitation_open_list():
    """The current tenant's invitations not yet accepted nor revoked (expired ones included: they
    may be sent again)."""
    from .models import Invitation

    return (Invitation.objects.filter(used_at__isnull=True, revoked_at__isnull=True)
            .select_related("client", "invited_by").order_by("-sent_at", "-id"))
