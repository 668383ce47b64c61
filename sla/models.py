"""Business calendars, SLA policies, the clocks of each order and the breaches they record."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned, validate_time_zone

WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
    (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
]


def _parse_hhmm(value: str) -> datetime.time | None:
    """'09:00' → time(9); '24:00' → None (the end of the day)."""
    if value == "24:00":
        return None
    try:
        return datetime.time.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("“%(value)s” is not a time like 09:00."), params={"value": value}) from exc


def validate_working_hours(value) -> None:
    """{"0": [["09:00", "13:00"], ["14:00", "18:00"]], ...}: ordered, non-overlapping, start < end."""
    if not isinstance(value, dict):
        raise ValidationError(_("Working hours must map weekdays to intervals."))
    for day, intervals in value.items():
        if str(day) not in {str(d) for d, _label in WEEKDAYS}:
            raise ValidationError(_("Unknown weekday “%(day)s”."), params={"day": day})
        previous_end = datetime.time.min
        for interval in intervals or []:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise ValidationError(_("Each interval is a start and an end."))
            start, end = _parse_hhmm(interval[0]), _parse_hhmm(interval[1])
            if start is None:
                raise ValidationError(_("An interval cannot start at 24:00."))
            if end is not None and end <= start:
                raise ValidationError(_("An interval must end after it starts (%(start)s–%(end)s)."),
                                      params={"start": interval[0], "end": interval[1]})
            if start < previous_end:
                raise ValidationError(_("Working intervals of one day overlap or are out of order."))
            previous_end = end or datetime.time.max


class BusinessCalendar(TenantOwned):
    name = models.CharField(_("name"), max_length=120)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow",
                                 validators=[validate_time_zone])
    always_on = models.BooleanField(_("24×7"), default=False, help_text=_("Every hour of every day counts."))
    working_hours = models.JSONField(
        _("working hours"), default=dict, blank=True, validators=[validate_working_hours],
        help_text=_("Per weekday (0 = Monday) a list of [start, end] local times, e.g. 09:00–18:00."),
    )
    holiday_country = models.CharField(
        _("public holidays of"), max_length=8, blank=True,
        help_text=_("ISO country code, e.g. RU; its public holidays are days off."),
    )
    extra_days_off = models.JSONField(_("extra days off"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="calendar_name_unique_per_tenant")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if not self.always_on and not any(self.working_hours.get(str(d)) for d, _label in WEEKDAYS):
            raise ValidationError({"working_hours": _("A calendar needs working hours on at least one day, or 24×7.")})
        if self.holiday_country:
            import holidays

            if self.holiday_country.upper() not in holidays.list_supported_countries():
                raise ValidationError({"holiday_country": _("Unknown country “%(code)s”.") % {"code": self.holiday_country}})
            self.holiday_country = self.holiday_country.upper()
        for day in self.extra_days_off or []:
            try:
                datetime.date.fromisoformat(day)
            except (TypeError, ValueError):
                raise ValidationError({"extra_days_off": _("“%(day)s” is not a date like 2026-05-04.") % {"day": day}}) from None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


MAX_TARGET = datetime.timedelta(days=365)
"""The longest SLA target: a year of business time (a longer one is a typing mistake)."""


def _positive_duration(value: datetime.timedelta) -> None:
    """(Kept for the migrations that name it; `validate_target` checks both bounds.)"""
    if value is None or value <= datetime.timedelta(0):
        raise ValidationError(_("A target must be longer than zero."))


def validate_target(value: datetime.timedelta) -> None:
    """A target is longer than zero and at most `MAX_TARGET`."""
    _positive_duration(value)
    if value > MAX_TARGET:
        raise ValidationError(_("A target can be at most %(days)s days."), params={"days": MAX_TARGET.days},
                              code="max_value")


class SLAPolicy(TenantOwned):
    """Targets of one contract for one priority: the 24/48 rule unless the contract says otherwise."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="sla_policies",
                                 verbose_name=_("contract"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    response_target = models.DurationField(_("response target"), default=datetime.timedelta(hours=24),
                                           validators=[validate_target])
    resolution_target = models.DurationField(_("resolution target"), default=datetime.timedelta(hours=48),
                                             validators=[validate_target])
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="policies", verbose_name=_("calendar"),
                                 help_text=_("Empty for 24×7."))
    warning_threshold_pct = models.PositiveSmallIntegerField(
        _("warning threshold, %"), default=75, validators=[MinValueValidator(1), MaxValueValidator(99)])
    penalty_per_breach = models.DecimalField(_("penalty per breach"), max_digits=14, decimal_places=2,
                                             default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["contract", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "priority", "tenant"], name="sla_policy_one_per_priority"),
            models.CheckConstraint(name="sla_targets_positive",
                                   condition=models.Q(response_target__gt=datetime.timedelta(0),
                                                      resolution_target__gt=datetime.timedelta(0))),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.priority}"


class Metric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class SLAClock(TenantOwned):
    """One clock of one order: started, paused, warned, stopped or breached.

    `due_at` and `warn_at` are computed by `sla.engine` from the start, the target, the calendar
    and the pauses, and stored, so the sweep is one indexed query. Both are NULL while paused.
    """

    # Every index on this table is one more write for each clock the sweep marks (the marks are
    # in the partial indexes' predicates, so those updates are never HOT). Clocks are reached
    # through their order, so the table keeps only the indexes the sweep and that path need: the
    # unique (order, metric) one serves lookups by order; tenant, calendar and policy have none
    # (the rare calendar or policy change scans, the every-minute sweep does not pay).
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, editable=False, related_name="+",
                               verbose_name=_("tenant"), db_index=False)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="clocks", db_index=False)
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices)
    target = models.DurationField(_("target"))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    policy = models.ForeignKey(SLAPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    warning_threshold_pct = models.PositiveSmallIntegerField(default=75)
    started_at = models.DateTimeField(_("started at"))
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    pauses = models.JSONField(default=list, blank=True, help_text="closed pauses: [[start, end], ...] ISO UTC")
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["order", "metric"]
        constraints = [models.UniqueConstraint(fields=["order", "metric", "tenant"], name="sla_clock_one_per_metric")]
        indexes = [
            # the sweep's two queries: open clocks by due time and by warning time
            models.Index(fields=["due_at"], name="sla_clock_open_due_idx",
                         condition=models.Q(stopped_at__isnull=True, breached_at__isnull=True, due_at__isnull=False)),
            models.Index(fields=["warn_at"], name="sla_clock_open_warn_idx",
                         condition=models.Q(stopped_at__isnull=True, warned_at__isnull=True, warn_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.metric}"


class Breach(TenantOwned):
    """A clock past its due time: recorded once per clock, by a unique constraint."""

    clock = models.OneToOneField(SLAClock, on_delete=models.CASCADE, related_name="breach")
    # Copies of the clock's tenant, order, contract and provider, for filtering and attribution.
    # The clock's foreign key already guarantees them (the sweep copies them from the clock's
    # rows), so the database does not check them again on each of the sweep's inserts.
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, editable=False, related_name="+",
                               verbose_name=_("tenant"), db_constraint=False)
    # (no index on order either: an order's breaches are found through its clocks)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="breaches", db_constraint=False,
                              db_index=False)
    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="breaches",
                                 db_constraint=False)
    provider = models.ForeignKey("contracts.Provider", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="breaches", help_text=_("Who held the order at the breach"),
                                 db_constraint=False, db_index=False)
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices)
    due_at = models.DateTimeField(_("due at"))
    breached_at = models.DateTimeField(_("breached at"))
    penalty = models.DecimalField(_("penalty"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")
        ordering = ["-breached_at"]
        # the lists' default order, read backwards: a page without sorting the tenant's breaches
        # (at 120,000 breaches the sort was 26 ms a page); one more entry per breach the sweep writes.
        # By due time: the dashboards' and reports' breaches of a month, without reading every breach
        # the tenant ever had (at 23,000 breaches the home page's count read them all: 16 ms).
        indexes = [models.Index(fields=["tenant", "breached_at", "id"], name="breach_tenant_breached"),
                   models.Index(fields=["tenant", "due_at"], name="breach_tenant_due")]


class ForceMajeure(TenantOwned):
    """A period in which a contract's clocks stand still (declared by the provider, lifted later).

    At most one open period per contract: a unique constraint, so two managers declaring at once
    cannot open two.
    """

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="force_majeure",
                                 verbose_name=_("contract"))
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("declared by"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("lifted by"))
    lift_note = models.TextField(_("note on lifting"), blank=True)

    class Meta:
        verbose_name = _("force majeure")
        verbose_name_plural = _("force majeure periods")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "tenant"], condition=models.Q(lifted_at__isnull=True),
                                    name="force_majeure_one_open_per_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.started_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
