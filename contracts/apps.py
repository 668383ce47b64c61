from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self):
        # the contract's parties and roles are sections of its terms: versions keep them and
        # amendments change them (contracts.versions)
        from .amendments import sections

        sections.register()
