from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from integrations.webhooks import transport

from .support import DNS, Receiver


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """Names resolve from `support.DNS` (a test may change it); IP literals are themselves."""
    table = {name: list(addresses) for name, addresses in DNS.items()}

    def resolve(host, port):
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    real_redirect_of = transport.redirect_of

    def redirect_of(url, *, allow_private):
        if urlsplit(url).hostname in table:
            return None  # nothing listens at the fake names
        return real_redirect_of(url, allow_private=allow_private)

    monkeypatch.setattr(transport, "resolve", resolve)
    monkeypatch.setattr(transport, "redirect_of", redirect_of)
    return table


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def local_tenant(settings, world_a):
    """Tenant A may deliver to localhost (explicitly allowed), over http (DEBUG)."""
    settings.DEBUG = True
    settings.WEBHOOK_ALLOW_PRIVATE_TENANTS = [world_a.tenant.slug]
    return world_a


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` around a request: what it queues after commit runs (inline) at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
