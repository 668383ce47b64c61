"""The signing lockout: five wrong passwords or codes within 15 minutes lock a user's signing for
15 minutes, whatever they sign (an act, a review's minutes, an amendment).

One count per user, kept in `confirmations.SigningLockout` (the table stays where its migrations
are); the model is looked up by name when used, so the apps below confirmations that sign things
(contracts' amendments) ask here without importing confirmations.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError

LOCKOUT_FAILURES = 5  # wrong passwords or codes …
LOCKOUT_WINDOW = dt.timedelta(minutes=15)  # … within this long …
LOCKOUT_FOR = dt.timedelta(minutes=15)  # … lock the user's signing for this long


class SigningLocked(DomainError):
    status = 429
    code = "locked_out"


def _lockouts():
    return apps.get_model("confirmations", "SigningLockout").objects


def _locked_error(subject, locked_until: dt.datetime, field_name: str) -> SigningLocked:
    zone = zoneinfo.ZoneInfo(subject.tenant.time_zone)
    local = locked_until.astimezone(zone)
    when = local.strftime("%H:%M") if local.date() == timezone.now().astimezone(zone).date() \
        else local.strftime("%Y-%m-%d %H:%M")
    minutes = max(1, math.ceil((locked_until - timezone.now()).total_seconds() / 60))
    return SigningLocked(
        _("Too many failed attempts to sign. Signing is locked for you until %(time)s (%(zone)s), in "
          "%(minutes)s min; try again then.") % {"time": when, "zone": subject.tenant.time_zone, "minutes": minutes},
        field=field_name)


def signing_locked_check(*, subject, actor, field: str) -> None:
    """Refuse (429) while `actor`'s signing is locked; `subject` is what they sign (an act, a
    review's minutes, an amendment): anything with a tenant, whose time zone the message uses."""
    row = _lockouts().filter(user=actor).first()
    if row is not None and row.locked_until is not None and row.locked_until > timezone.now():
        raise _locked_error(subject, row.locked_until, field)


def signing_failure_record(*, subject, actor, field: str) -> None:
    """Count a wrong password or code given to sign `subject` (committed even though the signing
    fails; one count per user across acts, review minutes and amendments); the one that makes
    `LOCKOUT_FAILURES` within `LOCKOUT_WINDOW` locks the user's signing for `LOCKOUT_FOR` and
    raises SigningLocked."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                _lockouts().get_or_create(user=actor)
        except IntegrityError:
            pass  # created by a concurrent failure
        row = _lockouts().select_for_update(of=("self",)).get(user=actor)
        if row.window_started_at is None or row.window_started_at <= now - LOCKOUT_WINDOW or (
                row.locked_until is not None and row.locked_until <= now):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= LOCKOUT_FAILURES:
            row.locked_until = now + LOCKOUT_FOR
        row.save(update_fields=["failures", "window_started_at", "locked_until"])
    if row.locked_until is not None:
        raise _locked_error(subject, row.locked_until, field)


def signing_lockout_clear(*, actor) -> None:
    """A successful signature starts the count afresh."""
    _lockouts().filter(user=actor).delete()
