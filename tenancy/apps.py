from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .api_auth import connect_key_invalidation
        from .audit_export import AUDIT_READERS
        from .navigation import register_nav
        from .preferences import on_login
        from .rls import install_rls_settings

        connection_created.connect(install_rls_settings, dispatch_uid="tenancy.rls")
        user_logged_in.connect(on_login, dispatch_uid="tenancy.preferences")
        register_nav("audit", AUDIT_READERS)
        connect_key_invalidation()  # a revoked key stops working at once (tenancy.api_auth)
