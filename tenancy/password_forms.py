"""Password reset in the person's own language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext


class LocalisedPasswordResetForm(PasswordResetForm):
    """Django's reset form; each e-mail is written in its recipient's language (their profile's),
    else in the language of the page the reset was asked on, with links to SITE_URL."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        profile = getattr(context.get("user"), "profile", None)
        language = getattr(profile, "language", "") or translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            # the mail's header names the platform (no tenant: a password is the person's, not a tenant's)
            context = {**context, "site_url": settings.SITE_URL, "tenant": {"name": gettext("Service contracts")}}
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)
