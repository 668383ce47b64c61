"""Reactions to other apps' transitions, through django-fsm's `post_transition` signal (so those
apps never import disputes): an act the client disputes opens a dispute; an invoice issued
credits the compensations waiting for it. Both run after the transition's transaction commits; if
one fails, the transition stands and the hourly beat (`disputes.tasks`) does the work again."""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django_fsm.signals import post_transition

from billing.models import Invoice
from confirmations.models import Act
from tenancy.effects import on_commit_call

logger = logging.getLogger(__name__)


def _after_commit(tenant_id: int, work, failure: str) -> None:
    """Run `work()` in the tenant once the transition's transaction commits; a failure is logged and
    left to the hourly beat, never undoing the transition."""

    on_commit_call(work, tenant_id=tenant_id, failure=failure)


@receiver(post_transition, sender=Act, dispatch_uid="disputes.act_disputed")
def act_disputed(sender, instance, name, **kwargs):
    if name != "dispute":
        return
    from .services import dispute_open_for_act

    act_id = instance.pk
    _after_commit(instance.tenant_id, lambda: dispute_open_for_act(act_id=act_id),
                  f"Opening the dispute of act {act_id} failed")


@receiver(post_transition, sender=Invoice, dispatch_uid="disputes.invoice_issued")
def invoice_issued(sender, instance, name, **kwargs):
    if name != "issue":
        return
    from .services import disputes_settle

    contract_id = instance.contract_id
    _after_commit(instance.tenant_id, lambda: disputes_settle(contract_id=contract_id),
                  f"Crediting dispute compensations of contract {contract_id} failed")
