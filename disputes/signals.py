"""Reactions to other apps' transitions, through django-fsm's `post_transition` signal (so those
apps never import disputes): an act the client disputes opens a dispute; an invoice issued
credits the compensations waiting for it. Both run after the transition's transaction commits."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver
from django_fsm.signals import post_transition

from billing.models import Invoice
from confirmations.models import Act
from tenancy.context import tenant_context


@receiver(post_transition, sender=Act, dispatch_uid="disputes.act_disputed")
def act_disputed(sender, instance, name, **kwargs):
    if name != "dispute":
        return
    act_id, tenant_id = instance.pk, instance.tenant_id

    def open_dispute():
        from .services import dispute_open_for_act

        with tenant_context(tenant_id):
            dispute_open_for_act(act_id=act_id)

    transaction.on_commit(open_dispute)


@receiver(post_transition, sender=Invoice, dispatch_uid="disputes.invoice_issued")
def invoice_issued(sender, instance, name, **kwargs):
    if name != "issue":
        return
    contract_id, tenant_id = instance.contract_id, instance.tenant_id

    def settle():
        from .services import disputes_settle

        with tenant_context(tenant_id):
            disputes_settle(contract_id=contract_id)

    transaction.on_commit(settle)
