"""A signed-in person's own preferences (`UserProfile`) applied to every page they open.

The language and time zone are read from the profile once, at sign-in (or on the first request of
an older session), and kept in the session, so a page costs no query for them. Saving the profile,
or choosing a language in the page's switcher, updates the session too. The language, when set,
is activated on each request after Django's LocaleMiddleware; the time zone, when set, is the one
pages show times in (`display_time_zone`), instead of the organisation's.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

SESSION_KEY = "user_preferences"


def remember_preferences(request, profile) -> None:
    request.session[SESSION_KEY] = {
        "language": getattr(profile, "language", "") or "",
        "time_zone": getattr(profile, "time_zone", "") or "",
    }


def _load(request) -> dict:
    from .models import UserProfile

    remember_preferences(request, UserProfile.objects.filter(user_id=request.user.pk).first())
    return request.session[SESSION_KEY]


def on_login(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the signed-in person's preferences into their new session."""
    if request is not None and hasattr(request, "session"):
        from .models import UserProfile

        remember_preferences(request, UserProfile.objects.filter(user_id=user.pk).first())


class PreferencesMiddleware:
    """After TenantMiddleware: the person's language (if they chose one) and display time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        zone = ""
        if request.user.is_authenticated:
            preferences = request.session.get(SESSION_KEY)
            if not isinstance(preferences, dict):
                preferences = _load(request)
            language = preferences.get("language")
            if language in dict(settings.LANGUAGES):
                translation.activate(language)
                request.LANGUAGE_CODE = language
            zone = preferences.get("time_zone") or ""
        request.display_time_zone = zone or (tenant.time_zone if tenant is not None else "") or "UTC"
        return self.get_response(request)
