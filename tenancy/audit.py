"""How an actor is named in an append-only event row."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

# the channels an event may have come through (`via`), as a reader sees them
VIA_LABELS = {"portal": pgettext_lazy("acted through", "portal"), "api": gettext_lazy("API"),
              "dispute": pgettext_lazy("acted through", "dispute")}
SYSTEM_LABELS = ("System", "Система")


def actor_label(actor, via: str = "") -> str:
    if actor is None:
        label = _("System")
    else:
        label = actor.get_full_name() or actor.get_username()
    return f"{label} ({via})" if via else label


def translated_actor_label(label: str, *, system: bool = False) -> str:
    """A stored actor label with its English or Russian words ("System", "(portal)") in the active language."""
    via = ""
    match = re.fullmatch(r"(.*) \((\w+)\)", label or "")
    if match and match.group(2) in VIA_LABELS:
        label, via = match.groups()
    if system and label in SYSTEM_LABELS:
        label = _("System")
    return f"{label} ({VIA_LABELS[via]})" if via else label
