from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Disputes")

    def ready(self):
        # The act's "dispute" and the invoice's "issue" reach this app through django-fsm's signal,
        # so neither confirmations nor billing imports disputes.
        from . import signals  # noqa: F401
