"""Password reset in the person's own language, with a cap on how many mails it sends."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

# within one window: how many reset mails one address receives, how many requests one client sends
RESET_WINDOW_SECONDS = 15 * 60
RESET_MAILS_PER_ADDRESS = 3
RESET_REQUESTS_PER_CLIENT = 20


def _counter(*parts: str) -> str:
    bucket = int(time.time() // RESET_WINDOW_SECONDS)
    return ":".join([settings.RATE_LIMIT_NAMESPACE or "-", "password-reset", *parts, str(bucket)])


def _over(key: str, limit: int) -> bool:
    """Count one more for `key` in the current window; True once past `limit`."""
    cache = caches[settings.RATE_LIMIT_CACHE]
    cache.add(key, 0, timeout=RESET_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RESET_WINDOW_SECONDS + 5)
        count = 1
    return count > limit


class LocalisedPasswordResetForm(PasswordResetForm):
    """Django's reset form; each e-mail is written in its recipient's language (their profile's),
    else in the language of the page the reset was asked on, with links to SITE_URL.

    One client asking too often gets a form error; one address is sent at most a few mails per
    window, silently (the page says the same whether or not an account has the address)."""

    error_messages = {"throttled": gettext_lazy("Too many requests. Try again in a few minutes.")}

    def __init__(self, *args, address: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    def clean(self):
        cleaned = super().clean()
        if self.address and _over(_counter("ip", self.address), RESET_REQUESTS_PER_CLIENT):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        return cleaned

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        digest = hashlib.sha256(to_email.casefold().encode()).hexdigest()
        if _over(_counter("to", digest), RESET_MAILS_PER_ADDRESS):
            return
        profile = getattr(context.get("user"), "profile", None)
        language = getattr(profile, "language", "") or translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            # the mail's header names the platform (no tenant: a password is the person's, not a tenant's)
            context = {**context, "site_url": settings.SITE_URL, "tenant": {"name": gettext("Service contracts")}}
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)
