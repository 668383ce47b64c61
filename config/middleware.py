"""Project-wide HTTP middleware: the client's address behind trusted proxies, security headers,
and the API's request-size limit.

- `TrustedProxyMiddleware` (first in the list) rewrites `REMOTE_ADDR` to the client's address when
  `TRUSTED_PROXY_COUNT` proxies stand in front of us; throttles (DRF reads `REMOTE_ADDR` with
  `NUM_PROXIES = 0`), signing evidence and logs then all see the same address, and an
  `X-Forwarded-For` the client wrote itself changes nothing.
- `SecurityHeadersMiddleware`: Content-Security-Policy (no inline scripts), Permissions-Policy, and
  `Cache-Control: no-store` on everything answered to a signed-in user or an API key.
- `ApiRequestLimitMiddleware`: an API request whose declared body exceeds `API_MAX_REQUEST_BYTES`
  is answered 413 in the API's JSON error shape before anything reads it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _


def client_ip(meta: dict, trusted_proxies: int | None = None) -> str | None:
    """The client's address: `REMOTE_ADDR`, or with N trusted proxies in front, the N-th address
    from the right of `X-Forwarded-For` (each proxy appends the address it received from).
    Anything further left was written by the client and is ignored."""
    trusted = settings.TRUSTED_PROXY_COUNT if trusted_proxies is None else trusted_proxies
    remote = meta.get("REMOTE_ADDR") or None
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < trusted:
        return remote
    candidate = hops[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_ip(request.META)
        if address:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)


def content_security_policy(path: str) -> str:
    policy = dict(settings.CONTENT_SECURITY_POLICY)
    for prefix, overrides in settings.CONTENT_SECURITY_POLICY_PATH_OVERRIDES.items():
        if path.startswith(prefix):
            policy.update(overrides)
    return "; ".join(f"{name} {value}".strip() for name, value in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.path_info))
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            if "Cache-Control" not in response.headers or "no-store" not in response.headers["Cache-Control"]:
                patch_cache_control(response, private=True, no_store=True)
                response.headers.pop("Expires", None)
        return response


class ApiRequestLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.API_MAX_REQUEST_BYTES
            if length > limit:
                message = _("The request body is too large: at most %(limit)d bytes.") % {"limit": limit}
                return JsonResponse({"code": "request_too_large", "message": message, "errors": []}, status=413)
        return self.get_response(request)
