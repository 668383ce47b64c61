"""What the one timeline template (`includes/timeline.html`) reads from any app's event row.

Event tables differ a little: some name their kinds with choices, some with a `kind_label`; a
review's timeline holds two machines' states (`machine`, `from_state_label`). These filters read
whichever the row has, so the template needs no per-app branches.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def event_label(event) -> str:
    """What happened: the row's `kind_label`, else its kind's display name, else the kind."""
    label = getattr(event, "kind_label", None)
    if label:
        return label
    display = getattr(event, "get_kind_display", None)
    return display() if display is not None else event.kind


@register.filter
def state_label(event, which: str) -> str:
    """The label of the event's "from" or "to" state."""
    label = getattr(event, f"{which}_state_label", None)
    if label is not None:
        return label
    display = getattr(event, f"get_{which}_state_display", None)
    return display() if display is not None else getattr(event, f"{which}_state")


@register.filter
def event_machine(event, default: str) -> str:
    """The state machine of the event's states: the row's own `machine`, else the page's."""
    return getattr(event, "machine", None) or default
