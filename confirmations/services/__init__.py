"""Every write to acts, one module per use-case family, re-exported here so callers keep writing
`services.act_send(...)`:

- `acts`: assemble, send and render, deem accepted, seal, and the repair of what a worker left undone;
- `signing`: sign (password or emailed code, with the lockout) or dispute, ratings and their follow-up;
- `verification`: is an uploaded PDF an act sealed here, unchanged;
- `seals`: the tenants' seal certificates and the keys that encrypt them (renewal, rotation);
- `corrective`: corrective actions' plans.
"""

from __future__ import annotations

from tenancy.lockout import SigningLocked, signing_failure_record, signing_locked_check

from ._common import is_signatory
from .acts import (
    EDITABLE_STATES,
    Basis,
    _next_number,
    act_create,
    act_deem_accepted,
    act_prefill_lines,
    act_render,
    act_seal,
    act_send,
    act_update,
    acts_deem_overdue,
    acts_repair,
)
from .corrective import PLAN_MAX_LENGTH, corrective_action_update_plan, may_update_plan
from .seals import SealKeyRotation, certificate_renew, seal_keys_rotate
from .signing import (
    CODE_ATTEMPTS,
    CODE_TTL,
    CODES_PER_HOUR,
    CONSENT_TEXT,
    OrderRatingInput,
    SignInput,
    act_dispute,
    act_sign,
    signing_code_send,
)
from .verification import (
    MAX_VERIFY_BYTES,
    FileTooLarge,
    Verdict,
    Verification,
    act_verify,
    looks_like_pdf,
)

__all__ = [
    "act_create", "act_deem_accepted", "act_dispute", "act_prefill_lines", "act_render", "act_seal",
    "act_send", "act_sign", "act_update", "act_verify", "acts_deem_overdue", "acts_repair", "Basis",
    "certificate_renew", "signing_failure_record", "signing_locked_check", "CODE_ATTEMPTS", "CODE_TTL", "CODES_PER_HOUR", "CONSENT_TEXT",
    "corrective_action_update_plan", "EDITABLE_STATES", "FileTooLarge", "is_signatory", "looks_like_pdf",
    "MAX_VERIFY_BYTES", "may_update_plan", "_next_number", "OrderRatingInput", "PLAN_MAX_LENGTH",
    "seal_keys_rotate", "SealKeyRotation", "signing_code_send", "SigningLocked", "SignInput", "Verdict", "Verification",
]
