from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """Finding things across the apps: the global search and saved list views.

    It sits above every domain app (it asks each app's selectors), so no domain app imports it."""

    name = "search"
    verbose_name = _("Search")
