"""Reactions to other apps' transitions, through django-fsm's `post_transition` signal (so those
apps never import disputes): an act the client disputes opens a dispute; an invoice issued
credits the compensations waiting for it. Both run after the transition's transaction commits; if
one fails, the transition stands and the hourly beat (`disputes.tasks`) does the work again."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver
from django_fsm.signals import post_transition

from billing.models import Invoice
from confirmations.models import Act
from tenancy.context import tenant_context

logger = logging.getLogger(__name__)


@receiver(post_transition, sender=Act, dispatch_uid="disputes.act_disputed")
def act_disputed(sender, instance, name, **kwargs):
    if name != "dispute":
        return
    act_id, tenant_id = instance.pk, instance.tenant_id

    def open_dispute():
        from .services import dispute_open_for_act

        try:
            with tenant_context(tenant_id):
                dispute_open_for_act(act_id=act_id)
        except Exception:  # the act's transition stands; the hourly beat opens the dispute again
            logger.exception("Opening the dispute of act %s failed", act_id)

    transaction.on_commit(open_dispute)


@receiver(post_transition, sender=Invoice, dispatch_uid="disputes.invoice_issued")
def invoice_issued(sender, instance, name, **kwargs):
    if name != "issue":
        return
    contract_id, tenant_id = instance.contract_id, instance.tenant_id

    def settle():
        from .services import disputes_settle

        try:
            with tenant_context(tenant_id):
                disputes_settle(contract_id=contract_id)
        except Exception:  # the invoice stays issued; the hourly beat credits what is left
            logger.exception("Crediting dispute compensations of contract %s failed", contract_id)

    transaction.on_commit(settle)
