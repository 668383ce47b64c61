"""Reads of saved list views."""

from __future__ import annotations

from django.urls import reverse

from .models import SavedView

LIST_URLS: dict[str, str] = {SavedView.List.ORDERS: "orders:order-list", SavedView.List.CONTRACTS: "contracts:contract-list"}


def saved_views(*, user, list_name: str):
    """`user`'s views of one list in the current tenant, by name."""
    return SavedView.objects.filter(user=user, list_name=list_name).order_by("name", "id")


def saved_view_url(view: SavedView) -> str:
    url = reverse(LIST_URLS[view.list_name])
    return f"{url}?{view.query}" if view.query else url
