"""Roles of a membership and the checks built on them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    ENGINEER = "engineer", _("Engineer")
    ACCOUNTANT = "accountant", _("Accountant")
    CLIENT_ADMIN = "client_admin", _("Client administrator")
    CLIENT_SIGNATORY = "client_signatory", _("Client signatory")
    CLIENT_VIEWER = "client_viewer", _("Client viewer")


PROVIDER_ROLES = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER, Role.ENGINEER, Role.ACCOUNTANT})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_SIGNATORY, Role.CLIENT_VIEWER})
# Who may create and change clients, providers and contracts, and move contracts along.
CONTRACT_MANAGERS = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER})
TENANT_ADMINS = frozenset({Role.ADMIN})


def membership_of(user, tenant_id: int | None):
    """The active membership of `user` in `tenant_id`, cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or tenant_id is None:
        return None
    cache = user.__dict__.setdefault("_membership_cache", {})
    if tenant_id not in cache:
        from .models import Membership

        cache[tenant_id] = (
            Membership.objects_for_user(user)
            .select_related("tenant", "client")
            .filter(tenant_id=tenant_id, is_active=True)
            .order_by()  # one per tenant and user: no ordering, so no join for it (every API request runs this)
            .first()
        )
    return cache[tenant_id]


def client_scope_of(user, tenant_id: int | None = None) -> int | None:
    """The client a client-side user is limited to; None for provider staff (they see the tenant).
    Without `tenant_id`, in the current tenant."""
    from .context import current_tenant_id

    membership = membership_of(user, tenant_id if tenant_id is not None else current_tenant_id())
    if membership is not None and membership.role in CLIENT_ROLES:
        return membership.client_id
    return None


def role_of(user, tenant_id: int | None = None) -> str | None:
    from .context import current_tenant_id

    membership = membership_of(user, tenant_id if tenant_id is not None else current_tenant_id())
    return membership.role if membership else None


def has_role(user, roles, tenant_id: int | None = None) -> bool:
    return role_of(user, tenant_id) in roles


def roles_allowed(roles) -> str:
    """The API's description of who may call an operation, read from the app's declared role set (so
    the OpenAPI text cannot drift from the rule): "Roles allowed: `admin`, `accountant`."."""
    return "Roles allowed: " + ", ".join(f"`{role.value}`" for role in Role if role in roles) + "."


def require_role(actor, roles, message=None, *, system: bool = False) -> None:
    """Refuse (`ActionForbidden`, 403) unless `actor` holds one of `roles` in the current tenant.

    `system=True`: `actor=None` is the system (a beat task), which the check does not apply to.
    Every service checks its caller's role through this, so a role rule reads the same everywhere.
    """
    from .errors import ActionForbidden

    if system and actor is None:
        return
    if not has_role(actor, roles):
        raise ActionForbidden(message or _("Your role does not allow this action."))


def require_manager(actor, *, system: bool = False) -> None:
    """An administrator or an account manager (`CONTRACT_MANAGERS`): who runs the contracts."""
    require_role(actor, CONTRACT_MANAGERS, _("Only an administrator or an account manager may do this."),
                 system=system)
