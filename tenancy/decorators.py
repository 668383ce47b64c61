"""Who may open a browser page: a membership in the current tenant, the right side, the right role.

The middleware has already chosen the tenant (`request.tenant`, `request.membership`); these
decorators only read it. A user with no membership gets a friendly 403 page, a client-side user
on a provider page goes to the portal, a provider user on a portal page goes home, and a role
that may not open the page gets 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render


def member_required(view):
    """Logged in and an active member of the current tenant."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(request, "membership", None) is None:
            return render(request, "tenancy/no_access.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def provider_page(view=None, *, roles=None):
    """A page of the provider's staff; `roles` (a set of Role values) limits who may open it."""

    def decorate(view):
        @member_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership.is_client_side:
                return redirect("portal")
            if roles is not None and request.membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def client_page(view):
    """A page of the client portal: only client-side members, each limited to their own client."""

    @member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.membership.is_client_side:
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapped


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"
