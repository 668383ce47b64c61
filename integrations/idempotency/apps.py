from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class IdempotencyConfig(AppConfig):
    name = "integrations.idempotency"
    label = "idempotency"
    verbose_name = _("Idempotency and rate limits")

    def ready(self):
        from .models import TenantRateLimit
        from .throttling import forget_tenant_limits

        def forget(sender, instance, **kwargs):
            forget_tenant_limits(instance.tenant_id)

        post_save.connect(forget, sender=TenantRateLimit, dispatch_uid="idempotency-forget-limits")
        post_delete.connect(forget, sender=TenantRateLimit, dispatch_uid="idempotency-forget-limits-delete")
