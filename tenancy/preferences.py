"""A signed-in person's own preferences (`UserProfile`) applied to every page they open.

The language and time zone are read from the profile once, at sign-in (or on the first request of
an older session), and kept in the session, so a page costs no query for them. Saving the profile,
or choosing a language in the page's switcher, updates the session too. The language, when set,
is activated on each request after Django's LocaleMiddleware; the time zone, when set, is the one
pages show times in (`display_time_zone`), instead of the organisation's.

The display zone is *activated* for the whole of a page's request, not only inside `base.html`: a
fragment that htmx swaps into a page (a timeline after a party change, an act's status, a code's
line) shows its times in the same zone as the page around it, and a form reads a typed date-time in
the zone the person sees. The REST API is left in UTC whoever calls it (a key or a session), so an
integration reads the same `…Z` times either way.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

SESSION_KEY = "user_preferences"
API_PREFIX = "/api/"  # the REST API answers in UTC (see above)


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
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        _activate_zone(request)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _activate_zone(request) -> None:
    try:
        timezone.activate(request.display_time_zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):  # a zone this machine lacks: UTC, never a 500
        request.display_time_zone = "UTC"
        timezone.activate(dt.UTC)
