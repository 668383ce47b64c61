"""Signals tenancy sends, for the apps above it to act on without tenancy importing them.

- `tenant_created(sender=Tenant, tenant, own_provider_name)`: a provider organisation was created,
  inside `tenancy.services.tenant_create`'s transaction and with no tenant current; a receiver that
  writes tenant rows sets the tenant itself. contracts gives the tenant its own `Provider` row.
"""

from django.dispatch import Signal

tenant_created = Signal()
