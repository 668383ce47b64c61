from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "integrations.accounting"
    label = "accounting"
    verbose_name = _("Accounting export")

    def ready(self):
        from tenancy.navigation import register_nav

        from .roles import ACCOUNTING_EXPORTERS

        register_nav("accounting_export", ACCOUNTING_EXPORTERS)
