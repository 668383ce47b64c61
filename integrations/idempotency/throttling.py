"""Rate limits: API requests per key (or signed-in user) and failed sign-ins per account and address.

Counters are fixed windows in the "throttle" cache (`settings.RATE_LIMIT_CACHE`: Redis when
REDIS_URL is set, so every process counts together), each an atomic `add` + `incr`. On Redis an API
request costs one round trip: a small Lua script reads the tenant's cached limits and counts the
request together (`_REDIS_COUNT`); only when the limits are not cached yet (once a minute per tenant,
or after they were saved) does it read them from the database and store them, in a second one.

- **API** (`ApiRateThrottle`, DRF's DEFAULT_THROTTLE_CLASSES): reads (GET, HEAD, OPTIONS) and writes
  are counted apart, per minute, per API key — or per user and tenant for a browser session — at the
  tenant's limits (`TenantRateLimit`, else the settings' defaults). Past the limit: 429 in the API's
  error shape with `Retry-After`; every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
  `RateLimit-Reset` (IETF draft names; seconds until the window ends).
- **Sign-in** (`login_*`): failures per account (its username, case-folded) and per client address in
  fixed windows (15 minutes by default); at the limit further attempts are refused without checking
  the password until the window ends. A successful sign-in clears that account's count
  only — never another account's, nor the address's.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

from tenancy.context import current_tenant_id

from .models import TenantRateLimit
from .services import idempotency_owner

WINDOW_SECONDS = 60
CONFIG_SECONDS = 60  # how long a tenant's limits are remembered (saving them forgets at once)


def _cache():
    return caches[settings.RATE_LIMIT_CACHE]


def _key(*parts) -> str:
    return ":".join([settings.RATE_LIMIT_NAMESPACE or "-", *map(str, parts)])


def _count(key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout`) and return the new count."""
    cache = _cache()
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


# --- API requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    reads_per_minute: int
    writes_per_minute: int


def tenant_limits(tenant_id: int) -> Limits:
    """The tenant's per-minute limits: its own where set, else the platform's defaults."""
    key = _key("limits", tenant_id)
    cached = _cache().get(key)
    if cached is not None:
        return Limits(*cached)
    row = TenantRateLimit.objects.filter(tenant_id=tenant_id).first()
    limits = Limits(
        (row and row.reads_per_minute) or settings.RATE_LIMIT_READS_PER_MINUTE,
        (row and row.writes_per_minute) or settings.RATE_LIMIT_WRITES_PER_MINUTE,
    )
    _cache().set(key, (limits.reads_per_minute, limits.writes_per_minute), timeout=CONFIG_SECONDS)
    return limits


def forget_tenant_limits(tenant_id: int) -> None:
    _cache().delete(_key("limits", tenant_id))


# On Redis: the cached limits (or nil) and the counted request, in one round trip. The counter is
# created with its timeout, as `_count` does with `add` + `incr`.
_REDIS_COUNT_LUA = """
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {redis.call('GET', KEYS[1]), count}
"""
_redis_script = None


def _redis_count(cache, limits_key: str, counter_key: str, timeout: int) -> tuple[Limits | None, int]:
    """(the tenant's cached limits or None, the new count) from Redis in one round trip."""
    global _redis_script
    backend = cache._cache  # django.core.cache.backends.redis.RedisCacheClient
    client = backend.get_client(write=True)
    if _redis_script is None:
        _redis_script = client.register_script(_REDIS_COUNT_LUA)
    raw, count = _redis_script(
        keys=[cache.make_and_validate_key(limits_key), cache.make_and_validate_key(counter_key)],
        args=[timeout],
        client=client,
    )
    return (Limits(*backend._serializer.loads(raw)) if raw is not None else None), int(count)


def _is_redis(cache) -> bool:
    from django.core.cache.backends.redis import RedisCache

    return isinstance(cache, RedisCache)


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(self.reset)}


class ApiRateThrottle(BaseThrottle):
    """Per API key (or session user) and tenant, reads and writes apart, per minute."""

    def allow_request(self, request, view) -> bool:
        owner = idempotency_owner(request)
        tenant_id = current_tenant_id()
        if owner is None or tenant_id is None:
            return True  # anonymous requests have throttles of their own (verification)
        kind = "read" if request.method in SAFE_METHODS else "write"
        now = time.time()
        start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        self.reset = max(1, math.ceil(start + WINDOW_SECONDS - now))
        counter_key = _key("api", tenant_id, owner, kind, start)
        cache = _cache()
        if _is_redis(cache):
            limits, count = _redis_count(cache, _key("limits", tenant_id), counter_key, WINDOW_SECONDS + 5)
            if limits is None:
                limits = tenant_limits(tenant_id)
        else:
            limits = tenant_limits(tenant_id)
            count = _count(counter_key, WINDOW_SECONDS + 5)
        limit = limits.reads_per_minute if kind == "read" else limits.writes_per_minute
        request._request.rate_limit = RateLimitState(limit, max(0, limit - count), self.reset)
        return count <= limit

    def wait(self) -> int:
        return self.reset


def rate_limit_headers(request) -> dict[str, str]:
    state = getattr(getattr(request, "_request", request), "rate_limit", None)
    return state.headers() if state is not None else {}


# --- sign-in -----------------------------------------------------------------------------------


def _login_keys(username: str | None, address: str | None) -> list[tuple[str, int]]:
    """The counters of this account and address in the current window, with their limits."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    bucket = int(time.time() // window)
    keys = []
    if username:
        digest = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()
        keys.append((_key("login", "account", digest, bucket), settings.LOGIN_FAILURES_PER_ACCOUNT))
    if address:
        keys.append((_key("login", "ip", address, bucket), settings.LOGIN_FAILURES_PER_IP))
    return keys


def login_wait(*, username: str | None, address: str | None) -> int:
    """Seconds until this account and address may try again (the window's end); 0 when they may now."""
    cache = _cache()
    if not any((cache.get(key) or 0) >= limit for key, limit in _login_keys(username, address)):
        return 0
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    now = time.time()
    return max(1, math.ceil((now // window + 1) * window - now))


def login_failed(*, username: str | None, address: str | None) -> None:
    for key, _limit in _login_keys(username, address):
        _count(key, settings.LOGIN_FAILURE_WINDOW_SECONDS + 5)


def login_succeeded(*, username: str | None) -> None:
    """Clear this account's failures (only its own: not the address's, not other accounts')."""
    _cache().delete_many([key for key, _limit in _login_keys(username, None)])
