"""API authentication (`Authorization: Bearer <key>`) and the tenant-aware permission."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from . import context
from .models import ApiKey
from .roles import CONTRACT_MANAGERS, PROVIDER_ROLES, membership_of
from .services import api_key_authenticate, parse_api_key

# `<prefix>_<tenant id>_<secret>`: ASCII only, a tenant id a bigint holds (at most 18 digits).
WELL_FORMED_KEY = re.compile(r"[a-z]{1,8}_[1-9][0-9]{0,17}_[A-Za-z0-9_\-]{1,200}", re.ASCII)


# --- the key's resolution, cached ---------------------------------------------------------------
#
# Every API request resolved its key in two queries (the key with its tenant and creator, then the
# creator's membership). The resolution is kept in the shared cache (`settings.RATE_LIMIT_CACHE`:
# Redis when REDIS_URL is set, which every process reads) under the key's SHA-256, for at most
# `KEY_CACHE_SECONDS`, together with its tenant's *version*: a random token that any change to the
# tenant's keys, memberships, users or the tenant itself replaces (`forget_tenant_keys`, on save and
# delete, tenancy.apps). An entry whose version is not the tenant's current one is a miss, so a revoked
# key, a deactivated membership or user stops working at the next request. The version is read before
# the database, so a change made while an entry is being built makes that entry stale at once. A
# per-process cache (LocMem) is not shared by the other workers: there the resolution is not cached
# unless `API_KEY_CACHE_IN_PROCESS` says the process is alone (tests, a single runserver).

KEY_CACHE_SECONDS = 60
LAST_USED_EVERY = 60  # seconds between two writes of a key's `last_used_at` (as api_key_authenticate)


def _key_cache():
    cache = caches[settings.RATE_LIMIT_CACHE]
    if isinstance(cache, LocMemCache) and not getattr(settings, "API_KEY_CACHE_IN_PROCESS", False):
        return None
    return cache


def _cache_key(*parts) -> str:
    return ":".join(["apikey", settings.RATE_LIMIT_NAMESPACE or "-", *map(str, parts)])


def forget_tenant_keys(tenant_id) -> None:
    """Every cached key resolution of the tenant is stale from now on (a new version token)."""
    cache = _key_cache()
    if cache is not None and tenant_id is not None:
        cache.set(_cache_key("v", tenant_id), secrets.token_hex(8), timeout=None)


def _authenticate(raw: str) -> ApiKey | None:
    """`api_key_authenticate`, the key's `last_used_at` as that has just left it in the database."""
    key = api_key_authenticate(raw)
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_EVERY:
            key.last_used_at = now
    return key


def _forget(sender, instance, **kwargs) -> None:
    """A key, membership or tenant saved or deleted: its tenant's cached key resolutions are stale."""
    forget_tenant_keys(instance.pk if sender._meta.label == "tenancy.Tenant" else instance.tenant_id)


def _forget_user(sender, instance, **kwargs) -> None:
    """A user saved or deleted (deactivated, say): every tenant they belong to forgets its keys."""
    from .models import Membership

    if _key_cache() is None or instance.pk is None or set(kwargs.get("update_fields") or ()) == {"last_login"}:
        return
    with context.tenant_context(context.current_tenant_id(), user=instance):  # the user's own memberships
        tenants = set(Membership.objects_for_user(instance).values_list("tenant_id", flat=True))
    for tenant_id in tenants:
        forget_tenant_keys(tenant_id)


def connect_key_invalidation() -> None:
    """Called by tenancy.apps: every process that may change a key, membership, user or tenant."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from .models import Membership, Tenant

    for model in (ApiKey, Membership, Tenant):
        for signal in (post_save, post_delete):
            signal.connect(_forget, sender=model, dispatch_uid=f"tenancy.api_auth.{model.__name__}.{signal}")
    for signal in (post_save, post_delete):
        signal.connect(_forget_user, sender=get_user_model(), dispatch_uid=f"tenancy.api_auth.user.{signal}")


def _membership(key: ApiKey):
    """The key's creator's active membership in the key's tenant (as the request will run)."""
    with context.tenant_context(key.tenant_id, user=key.created_by):
        return membership_of(key.created_by, key.tenant_id)


def _resolve(raw: str):
    """(key, membership) for a well-formed raw key: from the cache when its entry is current, else from
    the database (and then cached). (None, None) when the key is not usable."""
    tenant_id = parse_api_key(raw)
    cache = _key_cache() if tenant_id is not None else None
    if cache is None:
        key = api_key_authenticate(raw)
        return key, (_membership(key) if key is not None else None)
    entry_key, version_key = _cache_key("k", ApiKey.hash_key(raw)), _cache_key("v", tenant_id)
    found = cache.get_many([entry_key, version_key])
    version = found.get(version_key)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(version_key, version, timeout=None):
            version = cache.get(version_key)
    entry = found.get(entry_key)
    if entry is not None and version is not None and entry[0] == version:
        _, key, membership = entry
        now = timezone.now()
        if not key.is_usable:
            return None, None
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_EVERY:
            key = _authenticate(raw)  # writes last_used_at and reads the key again
            if key is None:
                return None, None
            membership = _membership(key)
        else:
            key.created_by.__dict__["_membership_cache"] = {key.tenant_id: membership}
            return key, membership
    else:
        key = _authenticate(raw)
        if key is None:
            return None, None
        membership = _membership(key)
    if version is not None:
        # Stored without the creator's password hash (a deferred field when read back: a save of that
        # user writes only the fields it holds) and without this process's membership cache.
        user = key.created_by
        held = {name: user.__dict__.pop(name) for name in ("password", "_membership_cache") if name in user.__dict__}
        try:
            cache.set(entry_key, (version, key, membership), timeout=KEY_CACHE_SECONDS)
        finally:
            user.__dict__.update(held)
    return key, membership


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
        key, membership = _resolve(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("The API key is invalid, expired or revoked."))
        user = key.created_by
        # The request runs as the key's tenant, with the role its creator holds there now.
        context.set_tenant(key.tenant_id)
        context.set_user(user)
        if membership is None or not user.is_active:
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
