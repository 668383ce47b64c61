"""Amendments: changes to an active contract's terms from an effective date, agreed by the other
side, applied on their date (a beat task) into the contract's next version; and renewals.

- `amendment_propose` — either side: an administrator or account manager of the provider, or the
  contract's client signatory (or an administrator of its client). Every change is validated (core
  terms by the contract's field validators, sections by their `validate`), the effective date is
  not before the start or the latest version and no guard (an invoiced period) objects; another
  open amendment changing the same term from the same date is refused.
- `amendment_agree` / `amendment_reject` — the other side; the client agrees with the password
  re-entered and consent (evidence kept, wrong passwords share the act-signing lockout).
- `amendment_apply` / `amendments_apply_due` — contract row locked, then the amendment row:
  applied once, however many workers try.
- `contract_renew`, `contracts_auto_renew`, `renewal_reminders_send` — renewals.

Package layout like `contracts.obligations`: `rules` (validation, words, canonical text),
`services` (writes and beat jobs), `selectors` (reads), `sections` (parties and roles as
sections of the terms).
"""

from .rules import (
    canonical_text,
    document_sha256,
    term_label,
    term_names,
    validate_changes,
    value_text,
)
from .selectors import (
    amendment_change_rows,
    amendment_get,
    amendment_list,
    version_diff,
    version_list,
)
from .services import (
    AMENDABLE,
    CONSENT_TEXT,
    amendment_agree,
    amendment_apply,
    amendment_cancel,
    amendment_propose,
    amendment_reject,
    amendments_apply_due,
    contract_renew,
    contracts_auto_renew,
    contracts_renewals,
    may_cancel,
    may_decide,
    renewal_reminders_send,
    side_of,
)

__all__ = [
    "AMENDABLE", "CONSENT_TEXT", "amendment_agree", "amendment_apply", "amendment_cancel", "amendment_change_rows",
    "amendment_get", "amendment_list", "amendment_propose", "amendment_reject", "amendments_apply_due",
    "canonical_text", "contract_renew", "contracts_auto_renew", "contracts_renewals", "document_sha256",
    "may_cancel", "may_decide", "renewal_reminders_send", "side_of", "term_label", "term_names",
    "validate_changes", "value_text", "version_diff", "version_list",
]
