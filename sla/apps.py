from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from contracts.obligations.rules import register_business_calendar
        from contracts.versions import register_section

        from . import business_days, terms

        register_section(terms.SECTION, label=terms.SECTION_LABEL, snapshot=terms.policies_snapshot,
                         validate=terms.policies_validate, apply=terms.policies_apply,
                         to_text=terms.policies_to_text, from_text=terms.policies_from_text)
        # "N business days after month end" counts in the contract's SLA calendar
        register_business_calendar(business_days.contract_business_days)
