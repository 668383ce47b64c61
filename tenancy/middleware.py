"""Sets the current user and tenant for each browser request, and resets them after."""

from __future__ import annotations

from . import context
from .selectors import user_memberships

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_token = context.set_user(None)
        tenant_token = context.set_tenant(None)
        request.tenant = None
        request.membership = None
        request.memberships = []
        try:
            user = request.user
            if user.is_authenticated:
                context.set_user(user)
                request.memberships = user_memberships(user)
                chosen = request.session.get(SESSION_KEY)
                membership = next((m for m in request.memberships if m.tenant_id == chosen), None)
                if membership is None and request.memberships:
                    membership = request.memberships[0]
                    request.session[SESSION_KEY] = membership.tenant_id
                if membership is not None:
                    request.tenant = membership.tenant
                    request.membership = membership
                    context.set_tenant(membership.tenant_id)
                    user.__dict__.setdefault("_membership_cache", {})[membership.tenant_id] = membership
            return self.get_response(request)
        finally:
            context.reset_tenant(tenant_token)
            context.reset_user(user_token)
