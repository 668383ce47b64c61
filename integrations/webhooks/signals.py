"""How webhooks hear what happened, without the other apps importing this package.

- every timeline row (`tenancy.events.Event` subclasses: orders, acts, invoices, reviews, disputes,
  contracts and their amendments) — `post_save`, connected per event model in `apps.ready`;
- an order's comment — `post_save` of `orders.OrderComment`;
- SLA warnings and breaches — `sla.signals.clocks_crossed`.

Each becomes a `catalog.Occurrence` queued to the tenant's endpoints in the same transaction
(sent after commit).
"""

from __future__ import annotations

from contextlib import nullcontext

from django.dispatch import receiver

from sla.models import SLAClock
from sla.signals import clocks_crossed
from tenancy.context import current_tenant_id, current_user_id, is_cross_tenant, tenant_context

from . import catalog, services


def _in_tenant(tenant_id: int):
    if is_cross_tenant() or current_tenant_id() == tenant_id:
        return nullcontext()
    return tenant_context(tenant_id, user=current_user_id())


def _queue(occurrence, *, tenant_id: int, using: str | None = None) -> None:
    if occurrence is not None:
        services.occurrence_queue(occurrence, tenant_id=tenant_id, using=using)


def event_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    with _in_tenant(instance.tenant_id):
        _queue(catalog.from_event(instance), tenant_id=instance.tenant_id, using=instance._state.db)


def comment_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    with _in_tenant(instance.tenant_id):
        _queue(catalog.from_comment(instance), tenant_id=instance.tenant_id, using=instance._state.db)


@receiver(clocks_crossed, sender=SLAClock)
def clocks_crossed_heard(sender, warned=(), breached=(), **kwargs) -> None:
    ids = [*warned, *breached]
    if not ids:
        return
    clocks = SLAClock.objects.select_related("order").filter(pk__in=ids)
    for clock in clocks:
        with _in_tenant(clock.tenant_id):
            if clock.pk in warned:
                _queue(catalog.from_clock(clock, breached=False), tenant_id=clock.tenant_id)
            if clock.pk in breached:
                _queue(catalog.from_clock(clock, breached=True), tenant_id=clock.tenant_id)
