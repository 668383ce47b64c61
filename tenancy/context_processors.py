from .navigation import nav_flags
from .roles import CONTRACT_MANAGERS, TENANT_ADMINS


def tenancy(request):
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "user_memberships": getattr(request, "memberships", []),
        "can_manage_contracts": role in CONTRACT_MANAGERS,
        "is_tenant_admin": role in TENANT_ADMINS,
        "is_client_user": bool(membership and membership.is_client_side),
        # the parts of the site the role may open, from the apps' declared role sets (tenancy.navigation)
        "nav": nav_flags(role),
        # the zone pages show times in: the person's own (profile), else the organisation's
        "display_time_zone": getattr(request, "display_time_zone", None)
        or (membership.tenant.time_zone if membership else "UTC"),
    }
