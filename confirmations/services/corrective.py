"""Corrective actions: their plans."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.errors import ActionForbidden, DomainError
from tenancy.roles import Role, membership_of

from ..models import (
    Act,
    ActEvent,
    CorrectiveAction,
)
from ._common import _record

# --- corrective actions -----------------------------------------------------------------------

PLAN_MAX_LENGTH = 5000


def may_update_plan(user, action: CorrectiveAction) -> bool:
    """The action's owner (its account manager) or an administrator of the provider."""
    membership = membership_of(user, action.tenant_id)
    if membership is None or membership.is_client_side:
        return False
    return membership.role == Role.ADMIN or (action.owner_id is not None and action.owner_id == user.pk)


def corrective_action_update_plan(*, action: CorrectiveAction, actor, note: str, via: str = "") -> CorrectiveAction:
    """Write or rewrite the plan of a corrective action; the act whose rating opened it records it."""
    with transaction.atomic():
        action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if not may_update_plan(actor, action):
            raise ActionForbidden(_("Only the action's owner or an administrator may change its plan."))
        note = (note or "").strip()
        if not note:
            raise DomainError(_("Write the plan."), field="note", code="required")
        if len(note) > PLAN_MAX_LENGTH:
            raise DomainError(_("The plan is longer than %(limit)s characters.") % {"limit": PLAN_MAX_LENGTH},
                              field="note", code="max_length")
        if note == action.note:
            return action
        action.note = note
        action.save(update_fields=["note"])
        act = Act.objects.get(confirmation__pk=action.opened_by_id)
        _record(act, kind=ActEvent.Kind.CORRECTIVE_PLAN, actor=actor, via=via, note=note,
                data={"corrective_action": action.pk})
    return action
