"""Errors a service raises for a user to read: the API and the pages turn them into 4xx."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. `field` names the input at fault, if one is."""

    status = 400
    code = "invalid"
    field_errors: dict[str, list[str]] | None = None  # set when several fields are at fault

    def __init__(self, message, *, field: str | None = None, code: str | None = None, messages=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code
        # several problems at once (e.g. every unmet condition of a transition)
        self.messages = list(messages) if messages else [message]


class TransitionRefused(DomainError):
    """The transition does not exist from the current state, or its conditions do not hold."""

    status = 409
    code = "transition_not_allowed"


class ActionForbidden(DomainError):
    """The caller's role does not allow the action."""

    status = 403
    code = "permission_denied"
