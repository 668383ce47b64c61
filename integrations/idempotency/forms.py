"""Sign-in forms that refuse after too many failures (integrations.idempotency.throttling)."""

from __future__ import annotations

import math

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from .throttling import login_failed, login_succeeded, login_wait


class LoginThrottleMixin:
    """Counts failed sign-ins per account and per client address; at the limit the form says when
    to try again and checks no password until then."""

    def clean(self):
        username = self.cleaned_data.get("username")
        address = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
        wait = login_wait(username=username, address=address)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            raise ValidationError(
                ngettext("Too many attempts, try again in %(minutes)d minute.",
                         "Too many attempts, try again in %(minutes)d minutes.", minutes) % {"minutes": minutes},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                login_failed(username=username, address=address)
            raise
        login_succeeded(username=username)
        return cleaned


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    """The site's sign-in form (/accounts/login/)."""


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    """The Django admin's sign-in form (/admin/login/)."""
