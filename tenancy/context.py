"""The current tenant (and user), held in context variables.

The middleware sets them for a browser request, the API key authentication for an API call and
`tenant_context` for a Celery task. The default manager of every tenant-owned model reads them
and fails closed when no tenant is set. `cross_tenant` is the one escape for work that must see
every tenant (the SLA sweep, public verification); grep for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_tenant_id: ContextVar[int | None] = ContextVar("tenant_id", default=None)
_user_id: ContextVar[int | None] = ContextVar("user_id", default=None)
_cross_tenant: ContextVar[str | None] = ContextVar("cross_tenant", default=None)


class NoTenantSelected(RuntimeError):
    """A tenant-owned table was queried with no current tenant: fail closed."""


class TenantMismatch(RuntimeError):
    """A row of one tenant was about to be written while another tenant is current."""


def _as_id(tenant: Any) -> int | None:
    if tenant is None:
        return None
    return int(getattr(tenant, "pk", tenant))


def current_tenant_id() -> int | None:
    return _tenant_id.get()


def require_tenant_id() -> int:
    tenant_id = _tenant_id.get()
    if tenant_id is None:
        raise NoTenantSelected("No current tenant: set one with tenant_context() or the middleware.")
    return tenant_id


def current_user_id() -> int | None:
    return _user_id.get()


def is_cross_tenant() -> bool:
    return _cross_tenant.get() is not None


def set_tenant(tenant: Any):
    """Set the current tenant; returns a token for `reset_tenant`."""
    return _tenant_id.set(_as_id(tenant))


def reset_tenant(token) -> None:
    _tenant_id.reset(token)


def set_user(user: Any):
    return _user_id.set(_as_id(user))


def reset_user(token) -> None:
    _user_id.reset(token)


@contextmanager
def tenant_context(tenant: Any, *, user: Any = None) -> Iterator[None]:
    """Run the block as `tenant` (a Tenant or its id), e.g. inside a Celery task."""
    tenant_token = _tenant_id.set(_as_id(tenant))
    user_token = _user_id.set(_as_id(user))
    try:
        yield
    finally:
        _user_id.reset(user_token)
        _tenant_id.reset(tenant_token)


@contextmanager
def cross_tenant(*, reason: str) -> Iterator[None]:
    """THE escape from tenant scoping (ORM manager and PostgreSQL RLS alike).

    Only for sweeps and public verification, which must see every tenant's rows. Say why in
    `reason`. On PostgreSQL the block's queries go to a connection of their own, as a role that
    bypasses row-level security (tenancy.db_router): the web role's policy has no escape.
    """
    if not reason:
        raise ValueError("cross_tenant() needs a reason")
    from .db_router import entering_cross_tenant

    with entering_cross_tenant():
        token = _cross_tenant.set(reason)
        try:
            yield
        finally:
            _cross_tenant.reset(token)
