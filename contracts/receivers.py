"""What contracts does when tenancy (below it) says something happened (`tenancy.signals`);
connected in `ContractsConfig.ready()`."""

from __future__ import annotations

from tenancy.context import tenant_context


def own_provider_create(sender, *, tenant, own_provider_name: str, **kwargs) -> None:
    """A new tenant gets its own Provider row, so its contracts can name it."""
    from .models import Provider

    with tenant_context(tenant):
        Provider.objects.create(name=own_provider_name, is_own=True)
