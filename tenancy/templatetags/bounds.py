"""`{{ value|renderable|date:"…" }}`: a moment too close to the ends of the calendar to be shown
in the reader's time zone (9999-12-31 23:00 UTC is year 10000 in Moscow) is shown as stored, in
UTC, instead of failing the page. Input is bounded now (`tenancy.bounds`); rows stored before are not."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def renderable(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        try:
            return timezone.localtime(value)
        except OverflowError:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
