from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self):
        from . import panels

        # the dashboard and the client portal (contracts) show reviews.dashboard's figures
        panels.register()
