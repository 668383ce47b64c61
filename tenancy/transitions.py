"""The one pipeline every state machine's transition runs through.

Each app declares its machine once — which transitions exist, who may fire them, which conditions
must hold, what happens around the state change, and where the event goes — and its service calls
`fire(MACHINE, obj, name, ...)`. The pipeline is always the same:

1. an unknown name is refused (409, naming the field `transition`);
2. the row is read again under its lock (the machine's `locked` queryset);
3. a state the transition does not start from is refused with the machine's own message;
4. the actor's right is checked (`permits`, which raises `ActionForbidden`);
5. a transition marked `note_required` in its `custom` needs a note;
6. the machine's named conditions give their problems, all of them, then django-fsm's conditions;
7. `before` sets the fields the new state needs, the transition fires and the row is saved;
8. `after` does what follows from the new state (clocks, versions) and may add data to the event;
9. one transition event is written on the machine's timeline, with who, when, from and to.

Everything from 2 to 9 is one transaction: a refusal at any step leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .errors import DomainError, TransitionRefused


@dataclass(frozen=True)
class Machine:
    """What one state machine declares; `fire` reads it."""

    # the event table written for every transition (a `tenancy.events.Event` subclass)
    events: type[models.Model]
    # the names a caller may fire; anything else is an unknown action
    transitions: Collection[str]
    # the queryset that re-reads the row under its lock
    locked: Callable[[], models.QuerySet]
    # the message when the current state does not allow the transition
    refused: Callable[[Any], str]
    # raises ActionForbidden when `actor` (None: the system) may not fire it: (obj, meta, actor)
    permits: Callable[[Any, Any, Any], None] | None = None
    # per transition name: the problems that keep it from firing now (messages, all shown)
    conditions: Mapping[str, Callable[[Any], list]] = field(default_factory=dict)
    # before the state changes: (obj, name, now) sets the fields the new state needs
    before: Callable[[Any, str, dt.datetime], None] | None = None
    # after the row is saved: (obj, name, actor, now) → extra data for the event, or None
    after: Callable[[Any, str, Any, dt.datetime], dict | None] | None = None
    # more fields for the event row (e.g. an order event's client visibility)
    event_fields: Mapping[str, Any] = field(default_factory=dict)


def fire(machine: Machine, obj, name: str, *, actor, note: str = "", via: str = ""):
    """Fire transition `name` of `obj` through the pipeline above; return the row as saved."""
    if name not in machine.transitions:
        raise TransitionRefused(_("Unknown action “%(name)s”.") % {"name": name}, field="transition")
    note = (note or "").strip()
    with transaction.atomic():
        obj = machine.locked().get(pk=obj.pk)
        method = getattr(obj, name)
        source = obj.state
        if not can_proceed(method, check_conditions=False):
            raise TransitionRefused(machine.refused(obj))
        meta = method._django_fsm.get_transition(source)
        if machine.permits is not None:
            machine.permits(obj, meta, actor)
        if meta.custom.get("note_required") and not note:
            raise DomainError(_("Give a reason."), field="note", code="required")
        problems = machine.conditions.get(name)
        if problems is not None and (found := problems(obj)):
            raise TransitionRefused(found[0], messages=found, code="conditions_not_met")
        if not can_proceed(method):
            raise TransitionRefused(_("The conditions of this action are not met."), code="conditions_not_met")
        now = timezone.now()
        if machine.before is not None:
            machine.before(obj, name, now)
        method()
        obj.save()
        data = machine.after(obj, name, actor, now) if machine.after is not None else None
        machine.events.transition_of(obj, name=name, source=source, target=obj.state, actor=actor, via=via,
                                     note=note, data=data or {}, **machine.event_fields)
    return obj
