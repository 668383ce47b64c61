"""Factories of `search`: saved list views."""

from __future__ import annotations

import factory

from search.models import SavedView

from .base import TenantOwnedFactory, member
from .tenancy import TenantFactory


class SavedViewFactory(TenantOwnedFactory):
    class Meta:
        model = SavedView

    tenant = factory.SubFactory(TenantFactory)
    user = member()
    list_name = SavedView.List.ORDERS
    name = factory.Sequence(lambda n: f"My open orders {n}")
    query = "state=new&sort=next_due_at"
