from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from contracts.obligations.rules import register_business_calendar
        from contracts.panels import register_card
        from contracts.versions import register_section

        from . import business_days, terms
        from .templatetags.sla_tags import contract_sla_card

        register_section(terms.SECTION, label=terms.SECTION_LABEL, snapshot=terms.policies_snapshot,
                         validate=terms.policies_validate, apply=terms.policies_apply,
                         to_text=terms.policies_to_text, from_text=terms.policies_from_text)
        # "N business days after month end" counts in the contract's SLA calendar
        register_business_calendar(business_days.contract_business_days)
        # the contract page's SLA card (policies, force majeure, breaches)
        register_card("contract-side", "sla/_contract_sla_card.html", contract_sla_card)
