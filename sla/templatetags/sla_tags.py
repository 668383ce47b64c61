"""Template helpers of the SLA pages: durations and countdowns as a person reads them, and the
SLA card on a contract's page (policies, force majeure, breaches)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """3 d 4 h · 5 h 20 min · 45 min (the absolute value; the caller says "left" or "overdue")."""
    if value is None:
        return ""
    minutes = int(abs(value).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def hours(value: dt.timedelta | None) -> str:
    """A target in hours: 24, 7.5."""
    if value is None:
        return ""
    number = value.total_seconds() / 3600
    return f"{number:g}"


@register.filter
def countdown(due: dt.datetime | None) -> str:
    """Wall-clock time until `due`, as the live countdown shows it before its first tick."""
    if due is None:
        return ""
    left = due - timezone.now()
    if left.total_seconds() >= 0:
        return _("in %(time)s") % {"time": duration(left)}
    return _("overdue by %(time)s") % {"time": duration(left)}


@register.filter
def is_overdue(due: dt.datetime | None) -> bool:
    return due is not None and due <= timezone.now()


@register.inclusion_tag("sla/_contract_sla_card.html", takes_context=True)
def contract_sla_card(context, contract):
    """The SLA card of a contract page: its policies, force majeure and breaches, in three queries."""
    from sla.models import Breach, ForceMajeure, SLAPolicy
    from tenancy.roles import CONTRACT_MANAGERS

    membership = context.get("current_membership")
    policies = list(SLAPolicy.objects.filter(contract=contract).select_related("calendar").order_by("priority"))
    return {
        "contract": contract,
        "policies": policies,
        "force_majeure": ForceMajeure.objects.filter(contract=contract, lifted_at__isnull=True)
        .select_related("started_by").first(),
        "breach_count": Breach.objects.filter(contract=contract, waived_at__isnull=True).count(),
        "can_manage": membership is not None and membership.role in CONTRACT_MANAGERS,
        "csrf_token": context.get("csrf_token"),
        "fm_applies": contract.state in ("active", "suspended"),
    }
