from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self):
        from tenancy.signals import tenant_created

        from . import receivers
        from .amendments import sections

        # a new tenant gets its own provider row (tenancy sends, contracts receives)
        tenant_created.connect(receivers.own_provider_create, dispatch_uid="contracts.own_provider")
        # the contract's parties and roles are sections of its terms: versions keep them and
        # amendments change them (contracts.versions)
        sections.register()
