"""Every write to acts: assemble, send, sign or dispute, deem accepted, seal; corrective actions follow
the ratings. Rendering and sealing are slow, so they run in Celery after commit (see tasks.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import ContractRole, ContractRoleKind, ContractState
from tenancy.audit import actor_label
from tenancy.context import cross_tenant, require_tenant_id
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Membership, Notification, Tenant
from tenancy.roles import CONTRACT_MANAGERS, Role, membership_of

from . import selectors
from .models import (
    ACCEPTED_STATES,
    GOOD_RATING,
    LOW_RATING,
    Act,
    ActEvent,
    ActLine,
    ActState,
    Confirmation,
    CorrectiveAction,
    OrderRating,
    SignatureEvidence,
    SigningCode,
    TenantCertificate,
)
from .signing import check_seal, seal_pdf, sha256_hex

CENT = Decimal("0.01")
EDITABLE_STATES = (ActState.DRAFT, ActState.DISPUTED)
CODE_TTL = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 5
CONSENT_TEXT = gettext_lazy(
    "I have read act %(number)s (revision %(revision)s, SHA-256 %(sha256)s), I accept the work it lists on "
    "behalf of %(client)s, and I agree that this electronic confirmation is my signature."
)


class Basis:
    """Where the prefilled lines of a new act come from."""

    ORDERS = "orders"  # the period's delivered orders
    FEE = "fee"  # the contract's fixed service for the month, at the monthly fee
    BOTH = "both"
    CHOICES = [(ORDERS, gettext_lazy("Delivered orders of the period")),
               (FEE, gettext_lazy("The contract's fixed monthly service")),
               (BOTH, gettext_lazy("Both"))]


def _record(act: Act, *, kind: str, actor=None, via: str = "", **fields: Any) -> ActEvent:
    return ActEvent.objects.create(tenant_id=act.tenant_id, act=act, kind=kind, actor=actor,
                                   actor_label=actor_label(actor, via), **fields)


def _on_commit_task(task, *args) -> None:
    transaction.on_commit(lambda: task.delay(*args))


def _require_manager(actor) -> None:
    membership = membership_of(actor, require_tenant_id())
    if membership is None or membership.role not in CONTRACT_MANAGERS:
        raise ActionForbidden(_("Only an administrator or an account manager may do this."))


def is_signatory(user, act: Act) -> bool:
    """Who signs for the client: a user named client signatory on the act's contract, or an
    administrator of the act's client (the same rule the contract's responsibility matrix keeps)."""
    membership = membership_of(user, act.tenant_id)
    if membership is None or not membership.is_active or membership.client_id != act.client_id:
        return False
    if membership.role == Role.CLIENT_ADMIN:
        return True
    return membership.role == Role.CLIENT_SIGNATORY and ContractRole.objects.filter(
        contract_id=act.contract_id, role=ContractRoleKind.CLIENT_SIGNATORY, user=user).exists()


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _next_number(tenant_id: int) -> str:
    Tenant.objects.select_for_update().get(pk=tenant_id)  # serialises numbering per tenant
    year = timezone.now().year
    taken = Act.objects.filter(number__startswith=f"ACT-{year}-").values_list("number", flat=True)
    last = max((int(n.rsplit("-", 1)[1]) for n in taken if n.rsplit("-", 1)[1].isdigit()), default=0)
    return f"ACT-{year}-{last + 1:05d}"


# --- assembling -------------------------------------------------------------------------------


def _month_label(day: dt.date, language: str) -> str:
    with translation.override(language):
        return formats.date_format(day, "F Y")


def act_prefill_lines(*, contract, period_start: dt.date, period_end: dt.date, basis: str = Basis.ORDERS,
                      language: str = Act.Language.RU, exclude_act=None) -> list[dict]:
    """The lines a new act starts with: the contract's monthly service, the period's delivered orders
    that no other act lists yet (at no extra charge: the manager prices them), or both."""
    lines: list[dict] = []
    if basis in (Basis.FEE, Basis.BOTH):
        with translation.override(language):
            description = _("Services under contract %(number)s for %(month)s") % {
                "number": contract.number, "month": _month_label(period_start, language)}
        lines.append({"order": None, "description": description, "quantity": Decimal("1"),
                      "unit_price": contract.monthly_fee})
    if basis in (Basis.ORDERS, Basis.BOTH):
        for order in selectors.orders_for_act(contract=contract, period_start=period_start, period_end=period_end,
                                              exclude_act=exclude_act):
            lines.append({"order": order, "description": f"{order.number} — {order.title}"[:500],
                          "quantity": Decimal("1"), "unit_price": Decimal("0.00")})
    return lines


def _clean_lines(act: Act, lines: Iterable[dict]) -> list[ActLine]:
    cleaned: list[ActLine] = []
    seen_orders: set[int] = set()
    for index, line in enumerate(lines):
        description = (line.get("description") or "").strip()
        if not description:
            raise DomainError(_("Describe the work."), field=f"lines.{index}.description", code="required")
        try:
            quantity = Decimal(line.get("quantity", 1))
            unit_price = _money(line.get("unit_price", 0))
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise DomainError(_("Enter a number."), field=f"lines.{index}.quantity", code="invalid") from exc
        if quantity <= 0:
            raise DomainError(_("The quantity must be more than zero."), field=f"lines.{index}.quantity",
                              code="invalid")
        if unit_price < 0:
            raise DomainError(_("The price cannot be negative."), field=f"lines.{index}.unit_price", code="invalid")
        order = line.get("order")
        if order is not None:
            if order.contract_id != act.contract_id:
                raise DomainError(_("This order belongs to another contract."), field=f"lines.{index}.order",
                                  code="invalid")
            if order.pk in seen_orders or ActLine.objects.filter(order=order).exclude(act=act).exists():
                raise DomainError(_("This order is already listed in an act."), field=f"lines.{index}.order",
                                  code="unique")
            seen_orders.add(order.pk)
        cleaned.append(ActLine(act=act, position=index + 1, order=order, description=description[:500],
                               quantity=quantity, unit_price=unit_price, amount=_money(quantity * unit_price)))
    if not cleaned:
        raise DomainError(_("An act lists at least one line of work."), field="lines", code="required")
    return cleaned


def _replace_lines(act: Act, lines: Iterable[dict]) -> None:
    cleaned = _clean_lines(act, lines)
    act.lines.all().delete()
    ActLine.objects.bulk_create([_with_tenant(line, act.tenant_id) for line in cleaned])
    act.amount = sum((line.amount for line in cleaned), Decimal("0.00"))


def _with_tenant(line: ActLine, tenant_id: int) -> ActLine:
    line.tenant_id = tenant_id
    return line


@transaction.atomic
def act_create(*, actor, contract, period_start: dt.date, period_end: dt.date,
               language: str = Act.Language.RU, basis: str = Basis.ORDERS, lines: list[dict] | None = None,
               via: str = "") -> Act:
    """A draft act for `contract` and the period; its lines prefilled from `basis` unless given."""
    _require_manager(actor)
    if contract.state not in (ContractState.ACTIVE, ContractState.SUSPENDED, ContractState.TERMINATED,
                              ContractState.EXPIRED):
        raise DomainError(_("Acts are made only under a signed contract."), field="contract", code="invalid")
    if period_end < period_start:
        raise DomainError(_("The period ends before it starts."), field="period_end", code="invalid")
    if language not in Act.Language.values:
        raise DomainError(_("Unknown language."), field="language", code="invalid")
    act = Act(number=_next_number(contract.tenant_id), contract=contract, client_id=contract.client_id,
              period_start=period_start, period_end=period_end, language=language, currency=contract.currency,
              created_by=actor)
    act.save()
    if lines is None:
        lines = act_prefill_lines(contract=contract, period_start=period_start, period_end=period_end,
                                  basis=basis, language=language)
        if not lines:
            raise DomainError(_("No delivered orders of this period are left to put in an act; choose the "
                                "fixed monthly service or add lines by hand."), field="basis", code="empty")
    _replace_lines(act, lines)
    act.save(update_fields=["amount"])
    _record(act, kind="created", actor=actor, via=via, to_state=act.state,
            data={"lines": len(lines), "amount": str(act.amount)})
    return act


@transaction.atomic
def act_update(*, act: Act, actor, lines: list[dict], language: str | None = None, via: str = "") -> Act:
    """Change the lines (and language) of a draft act, or of a disputed one before it is sent again."""
    _require_manager(actor)
    act = Act.objects.select_for_update().get(pk=act.pk)
    if act.state not in EDITABLE_STATES:
        raise TransitionRefused(_("Only a draft or disputed act can be changed."))
    if language is not None:
        if language not in Act.Language.values:
            raise DomainError(_("Unknown language."), field="language", code="invalid")
        act.language = language
    _replace_lines(act, lines)
    act.save(update_fields=["amount", "language"])
    _record(act, kind="changed", actor=actor, via=via, data={"lines": len(lines), "amount": str(act.amount)})
    return act


# --- sending and rendering --------------------------------------------------------------------


def act_send(*, act: Act, actor, via: str = "") -> Act:
    """Send a draft act, or re-send a disputed one as a new revision. The PDF is rendered and hashed
    by a worker right after; until then the act shows as being prepared and cannot be signed."""
    from .tasks import render_act

    _require_manager(actor)
    with transaction.atomic():
        act = Act.objects.select_for_update(of=("self",)).select_related("contract").get(pk=act.pk)
        from_state = act.state
        if from_state not in EDITABLE_STATES:
            raise TransitionRefused(_("A %(state)s act cannot be sent.") % {"state": act.get_state_display().lower()})
        if not act.lines.exists():
            raise DomainError(_("An act lists at least one line of work."), field="lines", code="required")
        act.send()
        now = timezone.now()
        act.revision += 1
        act.sent_at, act.sent_by = now, actor
        act.accept_by = now + dt.timedelta(days=act.contract.acceptance_days)
        act.pdf, act.pdf_sha256 = "", ""
        act.save()
        _record(act, kind="transition", actor=actor, via=via, transition="send", from_state=from_state,
                to_state=act.state, data={"revision": act.revision, "accept_by": act.accept_by.isoformat()})
        _on_commit_task(render_act, act.tenant_id, act.pk, act.revision)
    return act


def act_render(*, act_id: int, revision: int) -> Act:
    """Render the sent revision's PDF and fix its SHA-256; safe to run twice."""
    act = Act.objects.select_related("contract__provider", "contract__client", "contract__tenant").get(pk=act_id)
    if act.revision != revision or act.pdf_sha256 or act.state != ActState.SENT:
        return act
    from .pdf import render_act_pdf

    pdf = render_act_pdf(act)  # slow: outside the row lock
    with transaction.atomic():
        act = Act.objects.select_for_update().get(pk=act_id)
        if act.revision != revision or act.pdf_sha256 or act.state != ActState.SENT:
            return act
        act.pdf.save(f"{act.number}-r{revision}.pdf", ContentFile(pdf), save=False)
        act.pdf_sha256 = sha256_hex(pdf)
        act.save(update_fields=["pdf", "pdf_sha256"])
        _record(act, kind="rendered", data={"revision": revision, "sha256": act.pdf_sha256, "bytes": len(pdf)})
        _notify_client(act, kind="act_sent", key=f"act:{act.pk}:sent:{revision}",
                       title=_("Act %(number)s is waiting for your signature") % {"number": act.number},
                       body=_("Please review act %(number)s for %(start)s – %(end)s and sign or dispute it by "
                              "%(deadline)s UTC.") % {"number": act.number, "start": act.period_start,
                                                      "end": act.period_end,
                                                      "deadline": act.accept_by.strftime("%Y-%m-%d %H:%M")})
    return act


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
    if not is_signatory(actor, act):
        raise ActionForbidden(_("Only the contract's client signatory may sign or dispute this act."))
    if act.state != ActState.SENT:
        raise TransitionRefused(_("A %(state)s act cannot be signed or disputed.")
                                % {"state": act.get_state_display().lower()})
    if not act.pdf_sha256:
        raise TransitionRefused(_("The act's PDF is still being prepared; try again in a moment."),
                                code="not_ready")


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
        subject = _("Your code to sign act %(number)s") % {"number": act.number}
        body = _("Your one-time code is %(code)s. It is valid for 10 minutes. If you did not ask for it, ignore "
                 "this email.") % {"code": code}
        email = actor.email
        transaction.on_commit(lambda: send_mail(subject, body, None, [email], fail_silently=True))
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


def act_sign(*, act: Act, actor, data: SignInput, via: str = "") -> Act:
    """The client signatory accepts the act: ratings, credentials re-entered, consent; the evidence
    is stored and the PDF sealed by a worker. One signature per act, however many try at once."""
    from .tasks import seal_act

    act = Act.objects.select_related("contract").get(pk=act.pk)
    _check_signable(act, actor)
    _validate_ratings(act, data)
    if not data.consent:
        raise DomainError(_("Tick the box to agree that this confirmation is your signature."), field="consent",
                          code="required")
    code_row = None
    if data.method == SignatureEvidence.Method.PASSWORD:
        if not data.password or not actor.check_password(data.password):
            raise DomainError(_("The password is wrong."), field="password", code="wrong_password")
    elif data.method == SignatureEvidence.Method.EMAIL_CODE:
        code_row = _check_code(act, actor, data.code)
    else:
        raise DomainError(_("Choose how to sign: password or emailed code."), field="method", code="invalid")

    with transaction.atomic():
        act = Act.objects.select_for_update(of=("self",)).select_related("contract", "client").get(pk=act.pk)
        _check_signable(act, actor)  # another signatory may have got there while we checked
        now = timezone.now()
        if code_row is not None and not SigningCode.objects.filter(pk=code_row.pk, used_at__isnull=True).update(
                used_at=now):
            raise TransitionRefused(_("This code has already been used."), code="code_used")
        act.sign()
        act.save()
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
        consent = str(CONSENT_TEXT) % {"number": act.number, "revision": act.revision, "sha256": act.pdf_sha256,
                                       "client": act.client.legal_name or act.client.name}
        SignatureEvidence.objects.create(
            act=act, signer=actor, signer_name=actor.get_full_name() or actor.get_username(), method=data.method,
            signed_at=now, ip_address=data.ip_address or None, user_agent=(data.user_agent or "")[:1000],
            document_sha256=act.pdf_sha256, consent_text=consent)
        _record(act, kind="transition", actor=actor, via=via, transition="sign", from_state=ActState.SENT,
                to_state=act.state, data={"rating": data.rating, "method": data.method,
                                          "sha256": act.pdf_sha256})
        _follow_up_ratings(act, confirmation, data)
        _notify_managers(act, kind="act_signed", key=f"act:{act.pk}:signed",
                         title=_("Act %(number)s was signed") % {"number": act.number},
                         body=_("%(name)s signed act %(number)s and rated the work %(rating)s of 5.")
                         % {"name": actor.get_full_name() or actor.get_username(), "number": act.number,
                            "rating": data.rating})
        _on_commit_task(seal_act, act.tenant_id, act.pk)
    return act


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
        notes = [data.comment.strip()] if data.rating <= LOW_RATING else []
        notes += [f"{r.order.number}: {r.comment.strip()}" for r in low]
        action = CorrectiveAction.objects.create(
            contract_id=act.contract_id, client_id=act.client_id, opened_by=confirmation,
            owner=owner_role.user if owner_role else None, note="\n".join(n for n in notes if n), opened_at=now)
        _record(act, kind="corrective_action", data={"corrective_action": action.pk, "rating": data.rating})
        if action.owner is not None:
            _notify_users([action.owner], kind="corrective_action", key=f"corrective:{action.pk}",
                          title=_("Low rating on act %(number)s: corrective action opened") % {"number": act.number},
                          body=action.note, url=f"/acts/{act.pk}/")


def act_dispute(*, act: Act, actor, reason: str, via: str = "") -> Act:
    """The client signatory refuses the act with a reason; it returns to the provider for rework."""
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for the dispute."), field="reason", code="required")
    with transaction.atomic():
        act = Act.objects.select_for_update().get(pk=act.pk)
        _check_signable(act, actor)
        act.dispute()
        act.dispute_reason = reason.strip()
        act.save()
        _record(act, kind="transition", actor=actor, via=via, transition="dispute", from_state=ActState.SENT,
                to_state=act.state, note=reason.strip(), data={"revision": act.revision})
        _notify_managers(act, kind="act_disputed", key=f"act:{act.pk}:disputed:{act.revision}",
                         title=_("Act %(number)s was disputed") % {"number": act.number}, body=reason.strip())
    return act


# --- deemed acceptance ------------------------------------------------------------------------


def act_deem_accepted(*, act: Act, now: dt.datetime | None = None) -> Act:
    """The client let the deadline pass: the act is accepted without a rating, and the client is told."""
    from .tasks import seal_act

    now = now or timezone.now()
    with transaction.atomic():
        act = Act.objects.select_for_update().get(pk=act.pk)
        if act.state != ActState.SENT or not act.pdf_sha256 or act.accept_by is None or act.accept_by > now:
            raise TransitionRefused(_("This act is not past its deadline."))
        act.deem_accepted()
        act.save()
        Confirmation.objects.create(act=act, contract_id=act.contract_id, client_id=act.client_id,
                                    kind=Confirmation.Kind.DEEMED, confirmed_at=now)
        SignatureEvidence.objects.create(
            act=act, method=SignatureEvidence.Method.DEEMED, signed_at=now, document_sha256=act.pdf_sha256,
            signer_name=str(_("Deemed accepted")),
            consent_text=f"No signature or dispute by {act.accept_by.isoformat()}; deemed accepted under the "
                         f"contract's acceptance term.")
        _record(act, kind="transition", transition="deem_accepted", from_state=ActState.SENT, to_state=act.state,
                data={"accept_by": act.accept_by.isoformat()})
        _notify_client(act, kind="act_deemed_accepted", key=f"act:{act.pk}:deemed",
                       title=_("Act %(number)s is deemed accepted") % {"number": act.number},
                       body=_("You did not sign or dispute act %(number)s by %(deadline)s UTC, so under the contract "
                              "it is deemed accepted.") % {"number": act.number,
                                                           "deadline": act.accept_by.strftime("%Y-%m-%d %H:%M")})
        _on_commit_task(seal_act, act.tenant_id, act.pk)
    return act


def acts_deem_overdue(*, now: dt.datetime | None = None) -> int:
    """Deem accepted every act of the current tenant left unanswered past its deadline."""
    now = now or timezone.now()
    due = list(Act.objects.filter(state=ActState.SENT, accept_by__lte=now).exclude(pdf_sha256="")
               .values_list("pk", flat=True))
    count = 0
    for pk in due:
        try:
            act_deem_accepted(act=Act(pk=pk), now=now)
        except TransitionRefused:
            continue  # signed or disputed a moment ago, or another worker got there first
        count += 1
    return count


# --- sealing ----------------------------------------------------------------------------------


def act_seal(*, act_id: int) -> Act:
    """Seal the accepted act's PDF (PAdES, the tenant's certificate); safe to run twice."""
    with transaction.atomic():
        act = Act.objects.select_for_update(of=("self",)).select_related("evidence").get(pk=act_id)
        if act.sealed_sha256 or act.state not in ACCEPTED_STATES:
            return act
        with act.pdf.open("rb") as handle:
            original = handle.read()
        if sha256_hex(original) != act.pdf_sha256:
            raise RuntimeError(f"The stored PDF of act {act.pk} no longer matches its hash.")
        evidence = act.evidence
        when = evidence.signed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        how = "deemed accepted" if act.state == ActState.DEEMED_ACCEPTED else f"signed by {evidence.signer_name}"
        sealed = seal_pdf(original, reason=f"Act {act.number} r{act.revision}: {how}, {when}",
                          signer_name=evidence.signer_name or "—")
        act.sealed_pdf.save(f"{act.number}-r{act.revision}-sealed.pdf", ContentFile(sealed.pdf), save=False)
        act.sealed_sha256 = sealed.sha256
        act.save(update_fields=["sealed_pdf", "sealed_sha256"])
        SignatureEvidence.objects.filter(pk=evidence.pk).update(sealed_sha256=sealed.sha256,
                                                                certificate_fingerprint=sealed.fingerprint)
        _record(act, kind="sealed", data={"sha256": sealed.sha256, "certificate": sealed.fingerprint})
    return act


# --- verification -----------------------------------------------------------------------------


class Verdict:
    GENUINE = "genuine"
    ALTERED = "altered"
    UNKNOWN = "unknown"


@dataclass
class Verification:
    verdict: str
    sha256: str
    act: Act | None = None
    evidence: SignatureEvidence | None = None
    tenant_name: str = ""
    intact: bool = False
    covers_whole_file: bool = False

    @property
    def genuine(self) -> bool:
        return self.verdict == Verdict.GENUINE


_ACT_IN_REASON = re.compile(r"^Act (\S+) r\d+:")


def act_verify(*, pdf: bytes) -> Verification:
    """Is `pdf` an act sealed by this platform, by whom and when, and is it unchanged?

    Looks across every tenant (the one place outside sweeps that must): first by the sealed file's
    SHA-256, then by the embedded signature, whose certificate says which tenant sealed it.
    """
    digest = sha256_hex(pdf)
    with cross_tenant(reason="public verification of a sealed act's PDF"):
        certificates = {}

        def trusted(fingerprint: str) -> str | None:
            record = TenantCertificate.objects.filter(fingerprint=fingerprint).select_related("tenant").first()
            certificates[fingerprint] = record
            return record.certificate_pem if record else None

        check = check_seal(pdf, trusted_pem=trusted)
        act = (Act.objects.select_related("tenant", "client", "contract", "evidence")
               .filter(sealed_sha256=digest).first())
        certificate = certificates.get(check.fingerprint)
        if act is None and certificate is not None:
            match = _ACT_IN_REASON.match(check.reason)
            if match:
                act = (Act.objects.select_related("tenant", "client", "contract", "evidence")
                       .filter(tenant_id=certificate.tenant_id, number=match.group(1)).first())
        evidence = getattr(act, "evidence", None) if act is not None else None
    ours = certificate is not None and (act is None or certificate.tenant_id == act.tenant_id)
    if act is not None and act.sealed_sha256 == digest and ours and check.valid and check.covers_whole_file:
        verdict = Verdict.GENUINE
    elif ours:
        verdict = Verdict.ALTERED
    else:
        verdict, act, evidence = Verdict.UNKNOWN, None, None
    return Verification(verdict=verdict, sha256=digest, act=act, evidence=evidence,
                        tenant_name=act.tenant.name if act is not None else "",
                        intact=check.intact, covers_whole_file=check.covers_whole_file)


# --- notifications ----------------------------------------------------------------------------


def _notify_users(users, *, kind: str, key: str, title: str, body: str, url: str) -> None:
    """One in-app notification per user and event, and an email after commit."""
    emails = []
    for user in {u.pk: u for u in users}.values():
        try:
            with transaction.atomic():
                Notification.objects.create(user=user, kind=kind, title=title[:300], body=body, url=url,
                                            dedupe_key=key[:120])
        except IntegrityError:
            continue  # already told: the task ran twice
        if user.email:
            emails.append(user.email)
    if emails:
        transaction.on_commit(lambda: [send_mail(title, body, None, [e], fail_silently=True) for e in emails])


def _client_signatories(act: Act):
    named = ContractRole.objects.filter(contract_id=act.contract_id, role=ContractRoleKind.CLIENT_SIGNATORY)
    admins = Membership.objects.filter(client_id=act.client_id, role=Role.CLIENT_ADMIN, is_active=True)
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(pk__in=[*named.values_list("user_id", flat=True),
                                                        *admins.values_list("user_id", flat=True)]))


def _notify_client(act: Act, *, kind: str, key: str, title: str, body: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _notify_users(_client_signatories(act), kind=kind, key=key, title=str(title), body=str(body),
                      url=f"/portal/acts/{act.pk}/")


def _notify_managers(act: Act, *, kind: str, key: str, title: str, body: str) -> None:
    roles = ContractRole.objects.filter(contract_id=act.contract_id, role=ContractRoleKind.ACCOUNT_MANAGER)
    _notify_users([r.user for r in roles.select_related("user")], kind=kind, key=key, title=str(title),
                  body=str(body), url=f"/acts/{act.pk}/")


# --- corrective actions -----------------------------------------------------------------------

PLAN_MAX_LENGTH = 5000


def may_update_plan(user, action: CorrectiveAction) -> bool:
    """The action's owner (its account manager) or an administrator of the provider."""
    membership = membership_of(user, action.tenant_id)
    if membership is None or membership.is_client_side:
        return False
    return membership.role == Role.ADMIN or (action.owner_id is not None and action.owner_id == user.pk)


def corrective_action_update_plan(*, action: CorrectiveAction, actor, note: str, via: str = "") -> CorrectiveAction:
    """Write or rewrite the plan of a corrective action; the act whose rating opened it records it."""
    with transaction.atomic():
        action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if not may_update_plan(actor, action):
            raise ActionForbidden(_("Only the action's owner or an administrator may change its plan."))
        note = (note or "").strip()
        if not note:
            raise DomainError(_("Write the plan."), field="note", code="required")
        if len(note) > PLAN_MAX_LENGTH:
            raise DomainError(_("The plan is longer than %(limit)s characters.") % {"limit": PLAN_MAX_LENGTH},
                              field="note", code="max_length")
        if note == action.note:
            return action
        action.note = note
        action.save(update_fields=["note"])
        act = Act.objects.get(confirmation__pk=action.opened_by_id)
        _record(act, kind="corrective_plan", actor=actor, via=via, note=note,
                data={"corrective_action": action.pk})
    return action
