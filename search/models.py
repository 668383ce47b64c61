"""Saved list views: a user's named filter + sort of a list, opened again with one click."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned


class SavedView(TenantOwned):
    """One user's named query string of one list, in one tenant (a view is nobody else's)."""

    class List(models.TextChoices):
        ORDERS = "orders", _("Orders")
        CONTRACTS = "contracts", _("Contracts")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    list_name = models.CharField(_("list"), max_length=20, choices=List.choices)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=("user", "list_name", "name", "tenant"), name="saved_view_name_once"),
        ]

    def __str__(self) -> str:
        return self.name
