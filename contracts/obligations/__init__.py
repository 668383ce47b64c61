"""Obligations: a contract's recurring duties, their dated occurrences, reminders and alerts.

Rules (`ObligationRule`), each due date covering the period before it:

- **monthly** on day N: 29, 30 and 31 fall on the last day of a shorter month (31 → 30 April,
  28 or 29 February), so a rule never skips a month;
- **quarterly** on day N of the month *after* the quarter (January, April, July, October), the
  usual deadline of quarterly reporting ("by the 15th of the month after the quarter");
- **yearly** on a date (day and month; 29 February falls on the 28th in common years);
- **N business days after month end**: the N-th business day of each month, counted in the
  contract's business calendar (`contract_business_days`), or Monday to Friday.

An obligation generates occurrences from `starts_on` on; while the contract has an end date, the
last one is the one whose period starts before the end (the final month's report is still due
after the contract ends). `obligation_occurrences_generate` (beat) creates them up to
`HORIZON_MONTHS` ahead, `obligation_alerts_send` (beat) marks the overdue ones and reminds the
owner before the due date and alerts owner and account managers after it, once per occurrence.

Writes are services (`<entity>_<action>(*, ...)`, one transaction, DomainError naming the field);
each obligation change and each occurrence state change is recorded on the contract's timeline
(`ContractEvent`: who, when, from → to in `data`). Package layout: `rules` (the arithmetic), `services` (writes
and the beat jobs), `selectors` (reads); everything public is importable from here.
"""

from .rules import (
    HORIZON_MONTHS,
    MONDAY_TO_FRIDAY,
    PERIOD_MONTHS,
    BusinessDays,
    Schedule,
    add_months,
    clamped_date,
    contract_business_days,
    schedule_label,
    validate_rule,
)
from .selectors import (
    obligation_get,
    obligation_list,
    obligation_template_get,
    obligation_template_list,
    occurrence_get,
    occurrence_list,
    overdue_occurrences,
)
from .services import (
    OBLIGATION_FIELDS,
    OPEN_FOR_OBLIGATIONS,
    RUNNING,
    TEMPLATE_FIELDS,
    may_complete,
    obligation_alerts_send,
    obligation_create,
    obligation_occurrence_complete,
    obligation_occurrences_generate,
    obligation_template_apply,
    obligation_template_create,
    obligation_template_update,
    obligation_update,
)

__all__ = [
    "HORIZON_MONTHS", "MONDAY_TO_FRIDAY", "OBLIGATION_FIELDS", "OPEN_FOR_OBLIGATIONS", "PERIOD_MONTHS", "RUNNING",
    "TEMPLATE_FIELDS", "BusinessDays", "Schedule", "add_months", "clamped_date", "contract_business_days",
    "may_complete", "obligation_alerts_send", "obligation_create", "obligation_get", "obligation_list",
    "obligation_occurrence_complete", "obligation_occurrences_generate", "obligation_template_apply",
    "obligation_template_create", "obligation_template_get", "obligation_template_list",
    "obligation_template_update", "obligation_update", "occurrence_get", "occurrence_list", "overdue_occurrences",
    "schedule_label", "validate_rule",
]
