"""How an actor is named in an append-only event row."""

from __future__ import annotations

from django.utils.translation import gettext as _


def actor_label(actor, via: str = "") -> str:
    if actor is None:
        label = _("System")
    else:
        label = actor.get_full_name() or actor.get_username()
    return f"{label} ({via})" if via else label
