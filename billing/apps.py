from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from contracts.versions import register_guard, register_section
        from tenancy.navigation import register_nav

        from . import terms
        from .services import BILLING_READERS

        register_section(terms.SECTION, label=terms.SECTION_LABEL, snapshot=terms.bands_snapshot,
                         validate=terms.bands_validate, apply=terms.bands_apply, to_text=terms.bands_to_text,
                         from_text=terms.bands_from_text)
        register_guard(terms.invoiced_period_guard)
        register_nav("billing", BILLING_READERS)
