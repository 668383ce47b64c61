from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from contracts.versions import register_section

        from . import terms

        register_section(terms.SECTION, label=terms.SECTION_LABEL, snapshot=terms.policies_snapshot,
                         validate=terms.policies_validate, apply=terms.policies_apply,
                         to_text=terms.policies_to_text, from_text=terms.policies_from_text)
