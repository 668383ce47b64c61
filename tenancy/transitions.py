"""The one pipeline every state machine's transition runs through.

Each app declares its machine once — which transitions exist, who may fire them, which conditions
must hold, what happens around the state change, and where the event goes — and its service calls
`fire(MACHINE, obj, name, ...)`. The pipeline is always the same:

1. an unknown name is refused (409, naming the field `transition`);
2. the row is read again under its lock (`lock_first` takes the locks that come before it in the
   app's lock order — an amendment's contract —, then the machine's `locked` queryset reads it);
3. `guard` refuses what does not depend on the state (who may act on this row at all, a parent
   that closes it), then the call's own `check`;
4. a state the transition does not start from is refused with the machine's message (`refusals`
   per transition, else `refused`); a name in `methods` picks its method by the state (a dispute's
   "escalate" is `to_mediation` from negotiation), and no method for the state is such a refusal;
5. the actor's right is checked (`permits`, which raises `ActionForbidden`);
6. a transition marked `note_required` in its `custom` needs a note (`note_missing` per transition,
   else "Give a reason.");
7. the machine's named conditions give their problems, all of them, then django-fsm's conditions;
8. `before` (the machine's, then the call's) sets the fields the new state needs and may still
   refuse (a meeting's minutes, a compensation over the claim); the transition fires, the row is saved;
9. `after` (the machine's, then the call's) does what follows from the new state (clocks, versions,
   evidence) and may add data to the event;
10. one event is written: by default a transition on `events`' timeline of the row itself, with who,
    when, from and to. A row whose changes go on another row's timeline names it with `subject`
    (an action item's on its review's); a timeline whose rows are not plain transitions writes its
    own with `event` (an amendment's on its contract's, by kind).

Everything from 2 to 10 is one transaction: a refusal at any step leaves nothing behind. What comes
after the event (a follow-up event, notifications) is the caller's, after `fire` returns, in a
transaction of its own around the call when it must be atomic with the transition.

The call's own steps (`check`, `before`, `after`) are what one service brings to the pipeline for
one call: its input (a reason, a meeting's minutes, ratings) checked and set on the locked row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

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
    # takes the locks that come before the row's own in the app's lock order: (obj) → None
    lock_first: Callable[[Any], None] | None = None
    # refuses before the state is looked at (raises): (obj, name, actor)
    guard: Callable[[Any, str, Any], None] | None = None
    # per transition name: the message when the state does not allow it (else `refused`)
    refusals: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    # per transition name whose method depends on the state: {state: method name}
    methods: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # per transition name marked note_required: the message when the note is missing
    note_missing: Mapping[str, StrOrPromise] = field(default_factory=dict)
    # the row whose timeline the event goes on: (obj) → row (default: obj itself)
    subject: Callable[[Any], Any] | None = None
    # writes the event instead of `events.transition_of`:
    # (subject, obj=, name=, source=, target=, actor=, via=, note=, data=) → event
    event: Callable[..., Any] | None = None


Step = Callable[[Any, dt.datetime], Any]


def fire(machine: Machine, obj, name: str, *, actor, note: str = "", via: str = "",
         check: Callable[[Any], None] | None = None, before: Step | None = None, after: Step | None = None):
    """Fire transition `name` of `obj` through the pipeline above; return the row as saved.

    `check(obj)`, `before(obj, now)` and `after(obj, now) → data | None` are the call's own steps."""
    if name not in machine.transitions:
        raise TransitionRefused(_("Unknown action “%(name)s”.") % {"name": name}, field="transition")
    note = (note or "").strip()
    with transaction.atomic():
        obj = _locked(machine, obj)
        if machine.guard is not None:
            machine.guard(obj, name, actor)
        if check is not None:
            check(obj)
        method = _method(machine, obj, name)
        source = obj.state
        meta = method._django_fsm.get_transition(source)
        if machine.permits is not None:
            machine.permits(obj, meta, actor)
        _check_ready(machine, obj, name, method, meta, note)
        now = timezone.now()
        if machine.before is not None:
            machine.before(obj, name, now)
        if before is not None:
            before(obj, now)
        method()
        obj.save()
        data: dict = {}
        if machine.after is not None:
            data.update(machine.after(obj, name, actor, now) or {})
        if after is not None:
            data.update(after(obj, now) or {})
        _write_event(machine, obj, name=name, source=source, actor=actor, via=via, note=note, data=data)
    return obj


def _locked(machine: Machine, obj):
    if machine.lock_first is not None:
        machine.lock_first(obj)
    return machine.locked().get(pk=obj.pk)


def _method(machine: Machine, obj, name: str):
    """The bound transition method `name` names in the row's state; refused when there is none."""
    method_name = machine.methods[name].get(obj.state) if name in machine.methods else name
    method = getattr(obj, method_name) if method_name else None
    if method is None or not can_proceed(method, check_conditions=False):
        refused = machine.refusals.get(name, machine.refused)
        raise TransitionRefused(refused(obj))
    return method


def _check_ready(machine: Machine, obj, name: str, method, meta, note: str) -> None:
    """The required note, then the machine's conditions (all their problems), then django-fsm's."""
    if meta.custom.get("note_required") and not note:
        message = machine.note_missing.get(name)
        raise DomainError(str(message) if message else _("Give a reason."), field="note", code="required")
    problems = machine.conditions.get(name)
    if problems is not None and (found := problems(obj)):
        raise TransitionRefused(found[0], messages=found, code="conditions_not_met")
    if not can_proceed(method):
        raise TransitionRefused(_("The conditions of this action are not met."), code="conditions_not_met")


def _write_event(machine: Machine, obj, *, name: str, source: str, actor, via: str, note: str, data: dict):
    subject = machine.subject(obj) if machine.subject is not None else obj
    if machine.event is not None:
        return machine.event(subject, obj=obj, name=name, source=source, target=obj.state, actor=actor, via=via,
                             note=note, data=data)
    return machine.events.transition_of(subject, name=name, source=source, target=obj.state, actor=actor, via=via,
                                        note=note, data=data, **machine.event_fields)
