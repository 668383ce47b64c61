"""Forms of the SLA pages: business calendars, SLA policies and force majeure.

They turn what a person types (working hours as "09:00–13:00, 14:00–18:00", targets in hours) into
the values sla.services takes; the services validate again and do every write.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.forms import ContractChoiceField
from tenancy.widgets import fast_selects

from .models import WEEKDAYS, BusinessCalendar, Priority, validate_working_hours

_TIME = r"(\d{1,2}):(\d{2})"
_INTERVAL = re.compile(rf"^\s*{_TIME}\s*[-–—]\s*{_TIME}\s*$")


def format_intervals(intervals) -> str:
    return ", ".join(f"{start}–{end}" for start, end in intervals or [])


def parse_intervals(text: str) -> list[list[str]]:
    """'09:00-13:00, 14:00–18:00' → [["09:00", "13:00"], ["14:00", "18:00"]]; blank → a day off."""
    intervals = []
    for part in re.split(r"[,;]", text or ""):
        if not part.strip():
            continue
        match = _INTERVAL.match(part)
        if not match:
            raise ValidationError(_("Write intervals like 09:00–13:00, 14:00–18:00 (“%(part)s” is not one)."),
                                  params={"part": part.strip()})
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        for hour, minute in ((h1, m1), (h2, m2)):
            if minute > 59 or hour > 24 or (hour == 24 and minute):
                raise ValidationError(_("“%(part)s” is not a time of day."), params={"part": part.strip()})
        intervals.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"])
    return intervals


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, initial="Europe/Moscow",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        help_text=_("An IANA time zone, e.g. Europe/Moscow or Asia/Yekaterinburg."),
    )
    always_on = forms.BooleanField(label=_("24×7: every hour of every day counts"), required=False)
    holiday_country = forms.CharField(
        label=_("Public holidays of"), max_length=8, required=False, initial="RU",
        help_text=_("ISO country code, e.g. RU; its public holidays are days off. Empty for none."),
    )
    extra_days_off = forms.CharField(
        label=_("Extra days off"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Dates like 2026-12-31, separated by commas or new lines."),
    )

    def __init__(self, *args, calendar: BusinessCalendar | None = None, **kwargs):
        if calendar is not None:
            kwargs.setdefault("initial", {
                "name": calendar.name, "time_zone": calendar.time_zone, "always_on": calendar.always_on,
                "holiday_country": calendar.holiday_country,
                "extra_days_off": ", ".join(calendar.extra_days_off or []),
                **{f"hours_{day}": format_intervals((calendar.working_hours or {}).get(str(day)))
                   for day, _label in WEEKDAYS},
            })
        else:
            kwargs.setdefault("initial", {f"hours_{day}": "09:00–18:00" for day in range(5)})
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=label, required=False, widget=forms.TextInput(attrs={"placeholder": _("day off")}),
            )

    def day_fields(self):
        return [self[f"hours_{day}"] for day, _label in WEEKDAYS]

    def main_fields(self):
        return [self[name] for name in ("name", "time_zone", "always_on", "holiday_country", "extra_days_off")]

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if value not in zoneinfo.available_timezones():
            raise ValidationError(_("Unknown time zone “%(value)s”."), params={"value": value})
        return value

    def clean_holiday_country(self) -> str:
        return self.cleaned_data["holiday_country"].strip().upper()

    def clean_extra_days_off(self) -> list[str]:
        days = []
        for part in re.split(r"[\s,;]+", self.cleaned_data["extra_days_off"] or ""):
            if not part:
                continue
            try:
                days.append(dt.date.fromisoformat(part).isoformat())
            except ValueError:
                raise ValidationError(_("“%(day)s” is not a date like 2026-12-31."), params={"day": part}) from None
        return sorted(set(days))

    def clean(self):
        cleaned = super().clean()
        working_hours = {}
        for day, _label in WEEKDAYS:
            name = f"hours_{day}"
            try:
                intervals = parse_intervals(cleaned.get(name, ""))
                validate_working_hours({str(day): intervals})
            except ValidationError as error:
                self.add_error(name, error)
                continue
            if intervals:
                working_hours[str(day)] = intervals
        cleaned["working_hours"] = working_hours
        return cleaned

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("name", "time_zone", "always_on", "working_hours",
                                              "holiday_country", "extra_days_off")}


MAX_HOURS = 100_000  # about eleven years: more is a typing mistake


class HoursField(forms.DecimalField):
    """A duration typed in hours (24, 7.5), handed on as a timedelta."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("step", "0.25")

    def to_python(self, value):
        number = super().to_python(value)
        if number is None:
            return None
        if not number.is_finite() or abs(number) > MAX_HOURS:
            raise ValidationError(_("Enter a number of hours, at most %(max)s."), params={"max": MAX_HOURS},
                                  code="invalid")
        return dt.timedelta(seconds=float(number * Decimal(3600)))

    def validate(self, value):
        forms.Field.validate(self, value)

    def run_validators(self, value):
        pass  # the service says what a valid target is

    def prepare_value(self, value):
        if isinstance(value, dt.timedelta):
            return f"{value.total_seconds() / 3600:g}"
        return value


class PolicyForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    response_target = HoursField(label=_("Response target, hours"), initial=dt.timedelta(hours=24))
    resolution_target = HoursField(label=_("Resolution target, hours"), initial=dt.timedelta(hours=48))
    calendar = forms.ModelChoiceField(label=_("Calendar"), queryset=None, required=False, empty_label=_("24×7"),
                                      help_text=_("Business hours the targets count in."))
    warning_threshold_pct = forms.IntegerField(label=_("Warning threshold, %"), initial=75,
                                               help_text=_("Warn when this share of a target is used."))
    penalty_per_breach = forms.DecimalField(label=_("Penalty per breach"), max_digits=14, decimal_places=2,
                                            initial=Decimal("0.00"))

    def __init__(self, *args, policy=None, **kwargs):
        if policy is not None:
            kwargs.setdefault("initial", {
                "priority": policy.priority, "response_target": policy.response_target,
                "resolution_target": policy.resolution_target, "calendar": policy.calendar_id,
                "warning_threshold_pct": policy.warning_threshold_pct, "penalty_per_breach": policy.penalty_per_breach,
            })
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = BusinessCalendar.objects.order_by("name")
        if policy is not None:
            self.fields["priority"].disabled = True  # one policy per priority: a new priority is a new policy


class ForceMajeureForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("e.g. a regional power outage; the client sees it."))


class ForceMajeureLiftForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BreachFilterForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), required=False, queryset=None, empty_label=_("All contracts"))
    metric = forms.ChoiceField(label=_("Metric"), required=False,
                               choices=[("", _("Both")), ("response", _("Response")), ("resolution", _("Resolution"))])

    def __init__(self, *args, **kwargs):
        from contracts.models import Contract

        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.order_by("number")
        fast_selects(self)  # hundreds of contracts (tenancy.widgets)
