from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # The other apps never import webhooks: their timelines, comments and SLA clocks are heard here.
        from orders.models import OrderComment
        from tenancy.events import event_models
        from tenancy.navigation import register_nav

        from . import signals
        from .api import WEBHOOK_MANAGERS

        for model in event_models():
            post_save.connect(signals.event_saved, sender=model, dispatch_uid=f"webhooks:{model._meta.label_lower}")
        post_save.connect(signals.comment_saved, sender=OrderComment, dispatch_uid="webhooks:ordercomment")
        register_nav("webhooks", WEBHOOK_MANAGERS)
