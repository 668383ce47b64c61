"""The SLA's part of a contract's versioned terms: the **"sla_policies" section** (`contracts.versions`).

The value is one entry per priority that has a policy (a priority without one runs on the 24/48
default with no penalty), keyed by the priority, in the order low, normal, high, critical:

    {"high": {"response_target_seconds": 14400, "resolution_target_seconds": 86400,
              "calendar_id": 3, "calendar_name": "Moscow office",
              "warning_threshold_pct": 75, "penalty_per_breach": "1000.00"}}

- Targets are **whole seconds of business time** (an integer; 24 h = 86400), counted in the calendar.
- `calendar_id` null (and `calendar_name` "") is 24×7. The calendar is the contract's business
  calendar too: the obligations' business-day rule reads it through the policies
  (`contracts.obligations.rules.contract_business_days`). A proposed value may name the calendar by
  `calendar_name` alone; validation fills in the id.
- `warning_threshold_pct` (1–99, default 75) and `penalty_per_breach` (a decimal string, default
  "0.00") as on the policy form; the bounds are the form's and the API's (`services.policy_terms_check`:
  targets above zero and at most a year, and countable by the calendar).

Applying a value updates the contract's policies in place, creates the missing ones and deletes
those the value leaves out. **Running clocks keep the target, calendar and threshold they started
with** (a clock copies them when it starts); only orders raised afterwards follow the new terms.
The penalty of a breach is the policy's when the breach is recorded, i.e. the one in force then.

As text (the amendment page), one policy per line:

    high: response 4h, resolution 24h, calendar Moscow office, warning 75%, penalty 1000.00

with `d`, `h`, `m`, `s` units (`1d` = 24 h of business time; `1h 30m`); the calendar part left
out is 24×7, the warning left out is 75 %, the penalty left out is 0. The words are those of the
reader's language; English and Russian are both read back.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.errors import DomainError

from .models import BusinessCalendar, Priority, SLAPolicy
from .services import DEFAULT_WARNING_PCT, policy_terms_check

SECTION = "sla_policies"
FIELD = f"changes.{SECTION}"
SECTION_LABEL = gettext_lazy("SLA policies and business calendar")
PRIORITIES = [value for value, _label in Priority.choices]
KEYS = ("response_target_seconds", "resolution_target_seconds", "calendar_id", "calendar_name",
        "warning_threshold_pct", "penalty_per_breach")


def _entry(policy: SLAPolicy) -> dict:
    return {
        "response_target_seconds": int(policy.response_target.total_seconds()),
        "resolution_target_seconds": int(policy.resolution_target.total_seconds()),
        "calendar_id": policy.calendar_id,
        "calendar_name": policy.calendar.name if policy.calendar_id else "",
        "warning_threshold_pct": policy.warning_threshold_pct,
        "penalty_per_breach": f"{policy.penalty_per_breach:.2f}",
    }


def policies_snapshot(contract) -> dict:
    policies = {p.priority: p for p in SLAPolicy.objects.filter(contract=contract).select_related("calendar")}
    return {priority: _entry(policies[priority]) for priority in PRIORITIES if priority in policies}


def _refuse(message: str, code: str = "invalid"):
    raise DomainError(message, field=FIELD, code=code)


def _seconds(value, where: str, label: str) -> dt.timedelta:
    if isinstance(value, bool) or not isinstance(value, int):
        _refuse(_("%(where)s: the %(target)s target is a whole number of seconds.") % {"where": where, "target": label})
    return dt.timedelta(seconds=value)


def _validation_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _policy_of(contract, priority: str, entry, where: str) -> SLAPolicy:
    """An unsaved policy from an entry, checked like the policy form checks one."""
    _check_entry_fields(entry, where)
    calendar = _calendar_of(entry, where)
    threshold = entry.get("warning_threshold_pct", DEFAULT_WARNING_PCT)
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        _refuse(_("%(where)s: the warning threshold is a whole percentage from 1 to 99.") % {"where": where})
    penalty = _penalty_of(entry, where)
    policy = SLAPolicy(
        tenant_id=contract.tenant_id, contract=contract, priority=priority,
        response_target=_seconds(entry["response_target_seconds"], where, _("response")),
        resolution_target=_seconds(entry["resolution_target_seconds"], where,
                                   _("resolution")),
        calendar=calendar, warning_threshold_pct=threshold, penalty_per_breach=penalty,
    )
    try:
        policy_terms_check(policy)
    except ValidationError as error:
        _refuse(_("%(where)s: %(problem)s") % {"where": where, "problem": _validation_text(error)})
    return policy


def _check_entry_fields(entry, where: str) -> None:
    """An entry is an object with known fields, the two targets among them."""
    if not isinstance(entry, dict):
        _refuse(_("%(where)s: a policy is an object with its targets, calendar, warning and penalty.") % {"where": where})
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        _refuse(_("%(where)s: unknown field “%(name)s”.") % {"where": where, "name": unknown[0]})
    for key in ("response_target_seconds", "resolution_target_seconds"):
        if key not in entry:
            _refuse(_("%(where)s: give the response and the resolution target.") % {"where": where}, "required")


def _calendar_of(entry: dict, where: str) -> BusinessCalendar | None:
    """The entry's calendar by id, else by name; None (24×7) when it names neither."""
    calendar = None
    calendar_id, calendar_name = entry.get("calendar_id"), (entry.get("calendar_name") or "")
    if calendar_id is not None:
        if isinstance(calendar_id, bool) or not isinstance(calendar_id, int):
            _refuse(_("%(where)s: calendar_id is a calendar's id or null for 24×7.") % {"where": where})
        calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            _refuse(_("%(where)s: there is no calendar %(id)s.") % {"where": where, "id": calendar_id}, "not_found")
    elif str(calendar_name).strip():
        calendar = BusinessCalendar.objects.filter(name=str(calendar_name).strip()).first()
        if calendar is None:
            _refuse(_("%(where)s: there is no calendar “%(name)s”.") % {"where": where, "name": calendar_name},
                    "not_found")
    return calendar


def _penalty_of(entry: dict, where: str) -> Decimal:
    try:
        penalty = Decimal(str(entry.get("penalty_per_breach", "0.00")))
    except (InvalidOperation, ValueError):
        penalty = None
    if penalty is None or isinstance(entry.get("penalty_per_breach"), bool) or not penalty.is_finite():
        _refuse(_("%(where)s: the penalty per breach is an amount such as 1000.00.") % {"where": where})
    return penalty


def _priority_label(priority: str) -> str:
    return str(dict(Priority.choices)[priority])


def policies_validate(contract, value, *, where=None) -> dict:
    """A proposed value normalised (priority order, calendar id and name filled in, two decimals),
    or a DomainError on `changes.sla_policies` naming the priority (or the text's line)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        _refuse(_("SLA policies are an object keyed by priority (low, normal, high, critical)."))
    unknown = [key for key in value if key not in PRIORITIES]
    if unknown:
        _refuse(_("Unknown priority “%(priority)s”; use low, normal, high or critical.") % {"priority": unknown[0]})
    where = where or _priority_label
    return {priority: _entry(_policy_of(contract, priority, value[priority], where(priority)))
            for priority in PRIORITIES if priority in value}


def policies_apply(contract, value, actor=None) -> None:
    """Make `value` the contract's policies: update in place, create, delete. Running clocks keep
    the target, calendar and threshold they copied when they started."""
    value = policies_validate(contract, value)
    with transaction.atomic():
        existing = {p.priority: p for p in SLAPolicy.objects.filter(contract=contract)
                    .select_for_update(of=("self",)).order_by("pk")}
        for priority, entry in value.items():
            policy = existing.pop(priority, None) or SLAPolicy(tenant_id=contract.tenant_id, contract=contract,
                                                               priority=priority)
            policy.response_target = dt.timedelta(seconds=entry["response_target_seconds"])
            policy.resolution_target = dt.timedelta(seconds=entry["resolution_target_seconds"])
            policy.calendar_id = entry["calendar_id"]
            policy.warning_threshold_pct = entry["warning_threshold_pct"]
            policy.penalty_per_breach = Decimal(entry["penalty_per_breach"])
            policy.save()
        if existing:
            SLAPolicy.objects.filter(pk__in=[p.pk for p in existing.values()]).delete()


# --- as text ------------------------------------------------------------------------------------

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_ALIASES = {"d": "d", "д": "d", "дн": "d", "h": "h", "ч": "h", "m": "m", "min": "m", "мин": "m",
                 "s": "s", "sec": "s", "с": "s", "сек": "s"}
_WORDS = {  # the words a line is read with, in English and Russian (plus the reader's own)
    "response": {"response", "реакция"},
    "resolution": {"resolution", "решение"},
    "calendar": {"calendar", "календарь"},
    "warning": {"warning", "предупреждение"},
    "penalty": {"penalty", "штраф"},
}
_ALWAYS_ON = {"24×7", "24x7", "24/7", "24х7"}
_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zа-я]+)", re.IGNORECASE)


def _unit_word(unit: str) -> str:
    return {"h": _("h"), "m": _("m"),
            "s": _("s")}[unit]


def duration_text(seconds: int) -> str:
    """86400 → "24h", 5400 → "1h 30m" (hours, not days: a day of business time is ambiguous)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}{_unit_word('h')}" if hours else "", f"{minutes}{_unit_word('m')}" if minutes else "",
             f"{secs}{_unit_word('s')}" if secs else ""]
    return " ".join(p for p in parts if p) or f"0{_unit_word('s')}"


def policies_to_text(value) -> str:
    lines = []
    for priority in PRIORITIES:
        entry = (value or {}).get(priority)
        if entry is None:
            continue
        # the words outside the f-strings: xgettext does not look inside them
        response, resolution, calendar = _("response"), _("resolution"), _("calendar")
        warning, penalty = _("warning"), _("penalty")
        parts = [f"{response} {duration_text(entry['response_target_seconds'])}",
                 f"{resolution} {duration_text(entry['resolution_target_seconds'])}"]
        if entry.get("calendar_id"):
            parts.append(f"{calendar} {entry['calendar_name']}")
        parts.append(f"{warning} {entry['warning_threshold_pct']}%")
        parts.append(f"{penalty} {entry['penalty_per_breach']}")
        lines.append(f"{_priority_label(priority).lower()}: {', '.join(parts)}")
    return "\n".join(lines)


def _priority_aliases() -> dict[str, str]:
    aliases = {}
    for language in ("en", "ru", translation.get_language() or "en"):
        with translation.override(language):
            for value, label in Priority.choices:
                aliases[str(label).lower()] = value
    aliases.update({value: value for value in PRIORITIES})
    return aliases


def _word_aliases() -> dict[str, str]:
    aliases = {word: key for key, words in _WORDS.items() for word in words}
    for key in _WORDS:
        aliases[_(key).lower()] = key
    return aliases


def parse_duration(text: str) -> int | None:
    """"4h", "1h 30m", "1d", "2.5 ч" → seconds; None if it is not a duration."""
    text = text.strip()
    if not text or _DURATION_PART.sub("", text).strip():
        return None
    total = Decimal(0)
    for number, unit in _DURATION_PART.findall(text):
        unit = _UNIT_ALIASES.get(unit.lower())
        if unit is None:
            return None
        total += Decimal(number.replace(",", ".")) * _UNIT_SECONDS[unit]
    return int(total) if total == int(total) else None


def policies_from_text(contract, text: str) -> dict:
    """The text back to the section's value, validated; a bad line is named by its number."""
    priorities, words = _priority_aliases(), _word_aliases()
    value, line_of = {}, {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        head, colon, rest = raw.partition(":")
        priority = priorities.get(head.strip().lower())
        if not colon or priority is None:
            _bad_line(number, _("start with the priority and a colon, e.g. “high: response 4h, resolution 24h”."))
        if priority in value:
            _bad_line(number, _("the priority “%(priority)s” is given twice.") % {"priority": head.strip()})
        value[priority] = _line_entry(_line_parts(rest, words, number), number)
        line_of[priority] = number
    return policies_validate(contract, value, where=lambda priority: _("Line %(line)s") % {"line": line_of[priority]})


def _bad_line(number: int, message: str):
    _refuse(_("Line %(line)s: %(problem)s") % {"line": number, "problem": message})


def _line_parts(rest: str, words: dict[str, str], number: int) -> list[list[str]]:
    """A line's text after the priority as [key, argument] pairs, split at its commas."""
    parts: list[list[str]] = []
    for piece in rest.split(","):
        word, _space, argument = piece.strip().partition(" ")
        key = words.get(word.lower())
        if key is None and parts and (parts[-1][0] == "calendar"  # a comma inside a calendar's name
                                      or (parts[-1][0] == "penalty" and piece.strip().isdigit())):  # 1000,50
            parts[-1][1] += "," + piece
            continue
        if key is None:
            _bad_line(number, _("“%(part)s” is not one of response, resolution, calendar, warning, penalty.")
                      % {"part": piece.strip()})
        parts.append([key, argument])
    return parts


def _line_entry(parts: list[list[str]], number: int) -> dict:
    """A line's [key, argument] pairs as a policy entry, the way `policies_validate` takes one."""
    entry: dict = {"warning_threshold_pct": DEFAULT_WARNING_PCT, "penalty_per_breach": "0.00", "calendar_id": None}
    for key, argument in parts:
        argument = argument.strip()
        if key in ("response", "resolution"):
            seconds = parse_duration(argument)
            if seconds is None:
                _bad_line(number, _("“%(value)s” is not a duration like 4h, 1h 30m or 2d.") % {"value": argument})
            entry[f"{key}_target_seconds"] = seconds
        elif key == "calendar":
            entry["calendar_name"] = "" if argument in _ALWAYS_ON else argument
        elif key == "warning":
            if not re.fullmatch(r"\d{1,3}\s*%?", argument):
                _bad_line(number, _("the warning is a whole percentage, e.g. 75."))
            entry["warning_threshold_pct"] = int(argument.rstrip("%").strip())
        else:
            entry["penalty_per_breach"] = argument.replace(" ", "").replace(",", ".")
    return entry
