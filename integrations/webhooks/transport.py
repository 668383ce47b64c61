"""The HTTP side of webhooks, guarded against server-side request forgery.

- Only `https` URLs (plain `http` too while DEBUG is on), with no user name or password in them.
- The host is resolved and every address it resolves to must be a public one: loopback, private,
  link-local, shared, reserved and multicast addresses are refused unless the tenant is listed in
  `WEBHOOK_ALLOW_PRIVATE_TENANTS` (its slug). This is checked when the URL is registered *and* on
  every delivery, and the connection goes to the very address that was checked (the `Host` header
  and the TLS server name stay the URL's), so a DNS answer changed in between (rebinding) gains
  nothing.
- Redirects are never followed; a 3xx answer is a failed attempt. 10 seconds for the whole request;
  the first KiB of the answer is kept.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 5.0
EXCERPT_BYTES = 1024
USER_AGENT = "contracts-webhooks/1.0"


class UrlRefused(Exception):
    def __init__(self, message: str, code: str = "invalid_url"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str]


@dataclass
class Answer:
    status: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this with a fixed table)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def private_allowed(tenant) -> bool:
    return getattr(tenant, "slug", None) in set(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TENANTS", ()))


def target_of(url: str, *, allow_private: bool) -> Target:
    """The checked target of `url`, or UrlRefused saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(_("Enter a valid URL.")) from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and settings.DEBUG):
        raise UrlRefused(_("The URL must start with https://."), "https_required")
    if parts.username or parts.password:
        raise UrlRefused(_("The URL must not carry a user name or password."))
    host = parts.hostname
    if not host:
        raise UrlRefused(_("Enter a valid URL."))
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(_("The host %(host)s cannot be resolved.") % {"host": host}, "unresolvable") from exc
    if not addresses:
        raise UrlRefused(_("The host %(host)s cannot be resolved.") % {"host": host}, "unresolvable")
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UrlRefused(_("The URL points to a private, loopback or link-local address; webhooks go to "
                           "public addresses only."), "private_address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _pool(target: Target, timeout: float):
    address = target.addresses[0]
    common = {"port": target.port, "timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(address, server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED", **common)
    return urllib3.HTTPConnectionPool(address, **common)


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def send(url: str, *, body: bytes, headers: dict[str, str], allow_private: bool,
         timeout: float = TIMEOUT_SECONDS) -> Answer:
    """POST `body` to `url` once, checking the address again; never raises for a network error."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = target_of(url, allow_private=allow_private)
    except UrlRefused as refused:
        return Answer(status=None, excerpt="", error=refused.message[:300], duration_ms=took())
    pool = _pool(target, timeout)
    request_headers = {"Host": _host_header(target), "Content-Type": "application/json",
                       "User-Agent": USER_AGENT, **headers}
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=request_headers, redirect=False,
                                retries=False, preload_content=False, assert_same_host=False)
        try:
            excerpt = response.read(EXCERPT_BYTES, decode_content=False) or b""
        finally:
            response.release_conn()
    except Exception as exc:  # noqa: BLE001 — any failure of the request is the attempt's result
        return Answer(status=None, excerpt="", error=f"{type(exc).__name__}: {exc}"[:300], duration_ms=took())
    finally:
        pool.close()
    error = ""
    if 300 <= response.status < 400:
        location = response.headers.get("Location", "")
        error = (_("Redirect to %(location)s not followed.") % {"location": location})[:300]
    return Answer(status=response.status, excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", "replace"), error=error,
                  duration_ms=took())


def redirect_of(url: str, *, allow_private: bool) -> str | None:
    """Where `url` redirects to (HEAD, without a body or a signature), or None: registering a URL that
    redirects is refused, since deliveries never follow. An unreachable URL is not an error here."""
    try:
        target = target_of(url, allow_private=allow_private)
    except UrlRefused:
        return None
    pool = _pool(target, PROBE_TIMEOUT_SECONDS)
    try:
        response = pool.urlopen("HEAD", target.path, headers={"Host": _host_header(target), "User-Agent": USER_AGENT},
                                redirect=False, retries=False, preload_content=False, assert_same_host=False)
        response.release_conn()
    except Exception:  # noqa: BLE001 — down or slow now: the deliveries will tell
        return None
    finally:
        pool.close()
    if 300 <= response.status < 400:
        return response.headers.get("Location") or "?"
    return None
