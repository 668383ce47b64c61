"""Bounds on what a user may store: dates in a sane range, texts of a sane length.

A value outside them is refused where it is accepted (API serializers, forms), with the field
named, rather than stored and then failing every page that renders it (a deadline of 9999-12-31
cannot be shown in UTC+3).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
TEXT_MAX_LENGTH = 20_000  # a description, a reason, a comment
NOTE_MAX_LENGTH = 4_000  # a note on a transition
BIGINT_MAX = 2**63 - 1


def validate_date_in_range(value) -> None:
    """A date or datetime between DATE_MIN and DATE_MAX (inclusive)."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s.")
            % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
            code="date_out_of_range",
        )
