"""Signing and disputing an act: ratings, the password or an emailed one-time code, the evidence;
corrective actions follow the ratings."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import ContractRole, ContractRoleKind
from tenancy.effects import on_commit_task
from tenancy.errors import DomainError, TransitionRefused
from tenancy.lockout import signing_failure_record, signing_locked_check, signing_lockout_clear
from tenancy.mail import mail_queue
from tenancy.services import notify_users
from tenancy.transitions import fire

from ..models import (
    GOOD_RATING,
    LOW_RATING,
    Act,
    ActEvent,
    ActState,
    Confirmation,
    CorrectiveAction,
    OrderRating,
    SignatureEvidence,
    SigningCode,
)
from ._common import _notify_managers, _record
from .acts import ACT_MACHINE, _act_before, _act_guard, _signable_refused

CODE_TTL = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 5
CONSENT_TEXT = gettext_lazy(
    "I have read act %(number)s (revision %(revision)s, SHA-256 %(sha256)s), I accept the work it lists on "
    "behalf of %(client)s, and I agree that this electronic confirmation is my signature."
)


# --- signing --------------------------------------------------------------------------------


@dataclass
class OrderRatingInput:
    order: Any
    rating: int
    comment: str = ""


@dataclass
class SignInput:
    rating: int | None
    comment: str = ""
    order_ratings: list[OrderRatingInput] = field(default_factory=list)
    consent: bool = False
    method: str = SignatureEvidence.Method.PASSWORD
    password: str = ""
    code: str = ""
    ip_address: str | None = None
    user_agent: str = ""


def _check_signable(act: Act, actor) -> None:
    """Before the password or code is checked: the same refusals as the transition's (ACT_MACHINE)."""
    _act_guard(act, "sign", actor)
    if act.state != ActState.SENT:
        raise TransitionRefused(_signable_refused(act))
    _act_before(act, "sign", timezone.now())


def _validate_rating(value, field_name: str) -> int:
    if value in (None, ""):
        raise DomainError(_("Rate the work from 1 to 5."), field=field_name, code="required")
    try:
        rating = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Rate the work from 1 to 5."), field=field_name, code="invalid") from exc
    if str(rating) != str(value).strip() or not 1 <= rating <= 5:
        raise DomainError(_("Rate the work from 1 to 5."), field=field_name, code="out_of_range")
    return rating


def _validate_ratings(act: Act, data: SignInput) -> None:
    data.rating = _validate_rating(data.rating, "rating")
    if data.rating <= LOW_RATING and not data.comment.strip():
        raise DomainError(_("Say what went wrong: a rating of 2 or less needs a comment."), field="comment",
                          code="required")
    order_ids = set(act.lines.exclude(order=None).values_list("order_id", flat=True))
    seen: set[int] = set()
    for index, item in enumerate(data.order_ratings):
        if item.order is None or item.order.pk not in order_ids or item.order.pk in seen:
            raise DomainError(_("Rate only the orders of this act, each once."), field=f"order_ratings.{index}.order",
                              code="invalid")
        seen.add(item.order.pk)
        item.rating = _validate_rating(item.rating, f"order_ratings.{index}.rating")
        if item.rating <= LOW_RATING and not item.comment.strip():
            raise DomainError(_("Say what went wrong: a rating of 2 or less needs a comment."),
                              field=f"order_ratings.{index}.comment", code="required")


def _code_hash(act_id: int, user_id: int, code: str) -> str:
    message = f"{act_id}:{user_id}:{code.strip()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def signing_code_send(*, act: Act, actor) -> SigningCode:
    """Email a one-time code (6 digits, 10 minutes, 5 attempts) to sign `act`; earlier codes lapse."""
    _check_signable(act, actor)
    _check_not_locked(act, actor, "code")
    if not actor.email:
        raise DomainError(_("Your account has no email address; sign with your password."), code="no_email")
    now = timezone.now()
    with transaction.atomic():
        recent = SigningCode.objects.filter(act=act, user=actor, created_at__gte=now - dt.timedelta(hours=1))
        if recent.count() >= CODES_PER_HOUR:
            raise DomainError(_("Too many codes were requested; wait an hour or sign with your password."),
                              code="throttled")
        SigningCode.objects.filter(act=act, user=actor, used_at__isnull=True).update(expires_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        row = SigningCode.objects.create(act=act, user=actor, code_hash=_code_hash(act.pk, actor.pk, code),
                                         created_at=now, expires_at=now + CODE_TTL)
        # the code travels only in the task's message: the outgoing-mail row never holds it
        mail_queue(template="mail/signing_code", user=actor, context={"number": act.number, "requested_at": now},
                   secret_context={"code": code}, url=f"/portal/acts/{act.pk}/")
    return row


def _check_code(act: Act, actor, code: str) -> SigningCode:
    """The live code matching `code`; a wrong one costs an attempt, kept even though signing fails."""
    now = timezone.now()
    row = (SigningCode.objects.filter(act=act, user=actor, used_at__isnull=True, expires_at__gt=now)
           .order_by("-created_at").first())
    if row is None:
        raise DomainError(_("The code has expired or was not requested; ask for a new one."), field="code",
                          code="expired")
    if row.attempts >= CODE_ATTEMPTS:
        raise DomainError(_("Too many wrong codes; ask for a new one."), field="code", code="locked")
    if not code or not hmac.compare_digest(row.code_hash, _code_hash(act.pk, actor.pk, code)):
        with transaction.atomic():
            SigningCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
        raise DomainError(_("The code is wrong."), field="code", code="wrong_code")
    return row


# --- lockout after repeated failures: tenancy.lockout, shared with reviews and amendments ------


def _check_not_locked(act: Act, actor, field_name: str) -> None:
    signing_locked_check(subject=act, actor=actor, field=field_name)


def _signing_failed(act: Act, actor, field_name: str) -> None:
    signing_failure_record(subject=act, actor=actor, field=field_name)


def act_sign(*, act: Act, actor, data: SignInput, via: str = "") -> Act:
    """The client signatory accepts the act: ratings, credentials re-entered, consent; the evidence
    is stored and the PDF sealed by a worker. One signature per act, however many try at once."""
    from ..tasks import seal_act

    act = Act.objects.select_related("contract").get(pk=act.pk)
    _check_signable(act, actor)
    _validate_ratings(act, data)
    if not data.consent:
        raise DomainError(_("Tick the box to agree that this confirmation is your signature."), field="consent",
                          code="required")
    code_row = _check_credentials(act, actor, data)

    with transaction.atomic():
        signed = _Signing(actor=actor, data=data, code_row=code_row)
        act = fire(ACT_MACHINE, act, "sign", actor=actor, via=via, before=signed.claim_code, after=signed.keep_evidence)
        assert signed.confirmation is not None  # keep_evidence ran in the transition
        _follow_up_ratings(act, signed.confirmation, data)
        _notify_managers(act, kind="act_signed", key=f"act:{act.pk}:signed",
                         title=_("Act %(number)s was signed") % {"number": act.number},
                         body=_("%(name)s signed act %(number)s and rated the work %(rating)s of 5.")
                         % {"name": actor.get_full_name() or actor.get_username(), "number": act.number,
                            "rating": data.rating})
        on_commit_task(seal_act, act.tenant_id, act.pk)
    return act


@dataclass
class _Signing:
    """The signature's own steps in the transition: the code is used once, the evidence is kept."""

    actor: Any
    data: SignInput
    code_row: SigningCode | None
    confirmation: Confirmation | None = None

    def claim_code(self, act: Act, now: dt.datetime) -> None:
        if self.code_row is not None and not SigningCode.objects.filter(
                pk=self.code_row.pk, used_at__isnull=True).update(used_at=now):
            raise TransitionRefused(_("This code has already been used."), code="code_used")

    def keep_evidence(self, act: Act, now: dt.datetime) -> dict:
        signing_lockout_clear(actor=self.actor)  # a successful signature starts the count afresh
        self.confirmation = _confirm_signed(act, self.actor, self.data, now)
        _store_evidence(act, self.actor, self.data, now)
        return {"rating": self.data.rating, "method": self.data.method, "sha256": act.pdf_sha256}


def _check_credentials(act: Act, actor, data: SignInput) -> SigningCode | None:
    """The password or the e-mailed code, re-entered to sign; a wrong one counts towards the lockout.
    Returns the code's row, for the signature to use it up."""
    if data.method == SignatureEvidence.Method.PASSWORD:
        _check_not_locked(act, actor, "password")
        if not data.password:
            raise DomainError(_("Enter your password."), field="password", code="required")
        if not actor.check_password(data.password):
            _signing_failed(act, actor, "password")
            raise DomainError(_("The password is wrong."), field="password", code="wrong_password")
        return None
    if data.method == SignatureEvidence.Method.EMAIL_CODE:
        _check_not_locked(act, actor, "code")
        try:
            return _check_code(act, actor, data.code)
        except DomainError as error:
            if error.code == "wrong_code":
                _signing_failed(act, actor, "code")
            raise
    raise DomainError(_("Choose how to sign: password or emailed code."), field="method", code="invalid")


def _confirm_signed(act: Act, actor, data: SignInput, now: dt.datetime) -> Confirmation:
    """The act's one confirmation, with the ratings of its orders."""
    try:
        with transaction.atomic():
            confirmation = Confirmation.objects.create(
                act=act, contract_id=act.contract_id, client_id=act.client_id, kind=Confirmation.Kind.SIGNED,
                rating=data.rating, comment=data.comment.strip(), confirmed_by=actor, confirmed_at=now)
    except IntegrityError as exc:
        raise TransitionRefused(_("This act has already been signed.")) from exc
    OrderRating.objects.bulk_create([
        OrderRating(tenant_id=act.tenant_id, confirmation=confirmation, order=item.order, rating=item.rating,
                    comment=item.comment.strip())
        for item in data.order_ratings
    ])
    return confirmation


def _store_evidence(act: Act, actor, data: SignInput, now: dt.datetime) -> SignatureEvidence:
    """Who signed which document (its SHA-256), how, from where, and the consent they gave."""
    consent = str(CONSENT_TEXT) % {"number": act.number, "revision": act.revision, "sha256": act.pdf_sha256,
                                   "client": act.client.legal_name or act.client.name}
    return SignatureEvidence.objects.create(
        act=act, signer=actor, signer_name=actor.get_full_name() or actor.get_username(), method=data.method,
        signed_at=now, ip_address=data.ip_address or None, user_agent=(data.user_agent or "")[:1000],
        document_sha256=act.pdf_sha256, consent_text=consent)


def _follow_up_ratings(act: Act, confirmation: Confirmation, data: SignInput) -> None:
    """A good rating closes the client's open corrective actions; a low one opens one."""
    now = timezone.now()
    if data.rating is not None and data.rating >= GOOD_RATING:
        CorrectiveAction.objects.filter(client_id=act.client_id, state=CorrectiveAction.State.OPEN).update(
            state=CorrectiveAction.State.CLOSED, closed_by=confirmation, closed_at=now)
    low = [r for r in data.order_ratings if r.rating <= LOW_RATING]
    if (data.rating is not None and data.rating <= LOW_RATING) or low:
        owner_role = (ContractRole.objects.filter(contract_id=act.contract_id, role=ContractRoleKind.ACCOUNT_MANAGER)
                      .select_related("user").order_by("id").first())
        notes = [data.comment.strip()] if data.rating is not None and data.rating <= LOW_RATING else []
        notes += [f"{r.order.number}: {r.comment.strip()}" for r in low]
        action = CorrectiveAction.objects.create(
            contract_id=act.contract_id, client_id=act.client_id, opened_by=confirmation,
            owner=owner_role.user if owner_role else None, note="\n".join(n for n in notes if n), opened_at=now)
        _record(act, kind=ActEvent.Kind.CORRECTIVE_ACTION, data={"corrective_action": action.pk, "rating": data.rating})
        if action.owner is not None:
            notify_users([action.owner], kind="corrective_action", key=f"corrective:{action.pk}",
                          title=_("Low rating on act %(number)s: corrective action opened") % {"number": act.number},
                          body=action.note, url=f"/acts/{act.pk}/")


def act_dispute(*, act: Act, actor, reason: str, via: str = "") -> Act:
    """The client signatory refuses the act with a reason; it returns to the provider for rework."""
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for the dispute."), field="reason", code="required")
    reason = reason.strip()

    def give_reason(act: Act, _now) -> None:
        act.dispute_reason = reason

    with transaction.atomic():
        act = fire(ACT_MACHINE, act, "dispute", actor=actor, note=reason, via=via, before=give_reason,
                   after=lambda act, _now: {"revision": act.revision})
        _notify_managers(act, kind="act_disputed", key=f"act:{act.pk}:disputed:{act.revision}",
                         title=_("Act %(number)s was disputed") % {"number": act.number}, body=reason)
    return act
