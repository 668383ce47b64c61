"""API authentication (`Authorization: Bearer <key>`) and the tenant-aware permission."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from . import context
from .models import ApiKey
from .roles import CONTRACT_MANAGERS, PROVIDER_ROLES, membership_of
from .services import api_key_authenticate

# `<prefix>_<tenant id>_<secret>`: ASCII only, a tenant id a bigint holds (at most 18 digits).
WELL_FORMED_KEY = re.compile(r"[a-z]{1,8}_[1-9][0-9]{0,17}_[A-Za-z0-9_\-]{1,200}", re.ASCII)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as “Authorization: Bearer <key>”."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("The API key is malformed.")) from exc
        if not WELL_FORMED_KEY.fullmatch(raw):
            raise exceptions.AuthenticationFailed(_("The API key is invalid, expired or revoked."))
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("The API key is invalid, expired or revoked."))
        user = key.created_by
        # The request runs as the key's tenant, with the role its creator holds there now.
        context.set_tenant(key.tenant_id)
        context.set_user(user)
        if membership_of(user, key.tenant_id) is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("The user who created this key no longer has access."))
        request._request.tenant = key.tenant
        return (user, key)

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class TenantApiPermission(permissions.BasePermission):
    """Provider staff of the current tenant; writes need the write scope and a managing role.

    A view narrows the roles with `read_roles` / `write_roles`.
    """

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        tenant_id = context.current_tenant_id()
        membership = membership_of(request.user, tenant_id)
        if membership is None:
            self.message = _("You are not a member of any organisation.")
            return False
        safe = request.method in permissions.SAFE_METHODS
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is not None and not key.allows(ApiKey.Scope.READ if safe else ApiKey.Scope.WRITE):
            self.message = _("This API key lacks the “%(scope)s” scope.") % {"scope": "read" if safe else "write"}
            return False
        roles = getattr(view, "read_roles", PROVIDER_ROLES) if safe else getattr(view, "write_roles", CONTRACT_MANAGERS)
        if membership.role not in roles:
            self.message = _("Your role does not allow this.")
            return False
        return True


def api_via(request) -> str:
    """How the actor reached us, for the audit trail."""
    key = request.auth if isinstance(request.auth, ApiKey) else None
    return f"API key {key.name}" if key else "API"
