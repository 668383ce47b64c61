"""Which tone a state's badge wears, by what the state means to the reader.

Every state machine's badge is `templates/includes/state_badge.html`; its colour comes from here, so
"Sent" and "Signed" never look alike. The keys are strings (no model imports: this app sits at the
bottom of the dependency chain); tests/tenancy/test_tones.py checks every choice of every state field.

Tones: neutral (nothing to do yet or over without result), info (waiting for someone),
progress (being worked on), success (done well), warning (needs attention), danger (failed, broken).
"""

from __future__ import annotations

TONES = ("neutral", "info", "progress", "success", "warning", "danger")

STATE_TONES: dict[str, dict[str, str]] = {
    "contract": {
        "draft": "neutral", "negotiation": "info", "active": "success",
        "suspended": "warning", "terminated": "danger", "expired": "neutral",
    },
    "amendment": {
        "proposed": "info", "agreed": "progress", "applied": "success",
        "rejected": "danger", "cancelled": "neutral",
    },
    "occurrence": {"pending": "info", "overdue": "danger", "done": "success", "done_late": "warning"},
    "order": {
        "new": "info", "acknowledged": "progress", "planned": "progress", "agreed": "progress",
        "approved": "progress", "in_progress": "progress", "waiting_on_client": "warning",
        "delivered": "info", "accepted": "success", "rework": "warning", "cancelled": "neutral",
    },
    "act": {
        "draft": "neutral", "sent": "info", "signed": "success",
        "disputed": "danger", "deemed_accepted": "success",
    },
    "corrective_action": {"open": "warning", "closed": "success"},
    "invoice": {"draft": "neutral", "issued": "info", "paid": "success", "void": "danger"},
    "review": {
        "scheduled": "neutral", "prepared": "info", "held": "progress",
        "closed": "success", "cancelled": "neutral",
    },
    "action_item": {"open": "warning", "done": "success", "dropped": "neutral"},
    "dispute": {
        "negotiation": "warning", "mediation": "warning", "arbitration": "danger",
        "resolved": "success", "withdrawn": "neutral",
    },
    "webhook_delivery": {"pending": "info", "delivered": "success", "failed": "danger"},
    "inbound_mail": {
        "order_created": "success", "comment_added": "success", "held": "warning",
        "rejected": "danger", "discarded": "neutral",
    },
    "outbound_mail": {"queued": "info", "sent": "success", "failed": "danger"},
}


def state_tone(machine: str, state: str) -> str:
    """The tone of `state` in `machine`; an unknown pair is neutral rather than an error on a page."""
    return STATE_TONES.get(machine, {}).get(state, "neutral")
