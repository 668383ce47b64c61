"""Acts: assemble, send and render, deem accepted, seal. Rendering and sealing are slow, so they run in
Celery after commit (see tasks.py)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import ContractState
from tenancy.effects import on_commit_task
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.numbering import next_number
from tenancy.roles import require_manager
from tenancy.transitions import Machine, fire

from .. import selectors
from ..models import (
    ACCEPTED_STATES,
    Act,
    ActEvent,
    ActLine,
    ActState,
    Confirmation,
    SignatureEvidence,
)
from ..pdf import STAMP_BOX, has_stamp_box, render_stamp_pdf
from ..signing import seal_pdf, sha256_hex
from ._common import _money, _notify_client, _record, is_signatory

logger = logging.getLogger(__name__)

EDITABLE_STATES = (ActState.DRAFT, ActState.DISPUTED)
ACT_TRANSITIONS = ("send", "sign", "dispute", "deem_accepted")


class Basis:
    """Where the prefilled lines of a new act come from."""

    ORDERS = "orders"  # the period's delivered orders
    FEE = "fee"  # the contract's fixed service for the month, at the monthly fee
    BOTH = "both"
    CHOICES = [(ORDERS, gettext_lazy("Delivered orders of the period")),
               (FEE, gettext_lazy("The contract's fixed monthly service")),
               (BOTH, gettext_lazy("Both"))]


def _next_number(tenant_id: int) -> str:
    """ACT-YYYY-NNNNN, gapless per tenant and year in the tenant's time zone: the numbering service's
    counter row (`tenancy.numbering`), never a scan of the acts nor a lock on the tenant's row."""
    return next_number(series="ACT", tenant_id=tenant_id)


# --- assembling -------------------------------------------------------------------------------


def _month_label(day: dt.date, language: str) -> str:
    """"December 2026"; in Russian "декабрь 2026" (after "за"), lower case as Russian writes month names."""
    with translation.override(language):
        label = formats.date_format(day, "F Y")
    return label.lower() if language.startswith("ru") else label


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
    require_manager(actor)
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
    _record(act, kind=ActEvent.Kind.CREATED, actor=actor, via=via, to_state=act.state,
            data={"lines": len(lines), "amount": str(act.amount)})
    return act


@transaction.atomic
def act_update(*, act: Act, actor, lines: list[dict], language: str | None = None, via: str = "") -> Act:
    """Change the lines (and language) of a draft act, or of a disputed one before it is sent again."""
    require_manager(actor)
    act = Act.objects.select_for_update().get(pk=act.pk)
    if act.state not in EDITABLE_STATES:
        raise TransitionRefused(_("Only a draft or disputed act can be changed."))
    if language is not None:
        if language not in Act.Language.values:
            raise DomainError(_("Unknown language."), field="language", code="invalid")
        act.language = language
    _replace_lines(act, lines)
    act.save(update_fields=["amount", "language"])
    _record(act, kind=ActEvent.Kind.CHANGED, actor=actor, via=via, data={"lines": len(lines), "amount": str(act.amount)})
    return act


# --- sending and rendering --------------------------------------------------------------------


def _act_guard(act: Act, name: str, actor) -> None:
    if name in ("sign", "dispute") and not is_signatory(actor, act):
        raise ActionForbidden(_("Only the contract's client signatory may sign or dispute this act."))


def _act_before(act: Act, name: str, now: dt.datetime) -> None:
    if name == "send":
        if not act.lines.exists():
            raise DomainError(_("An act lists at least one line of work."), field="lines", code="required")
    elif name in ("sign", "dispute") and not act.pdf_sha256:
        raise TransitionRefused(_("The act's PDF is still being prepared; try again in a moment."), code="not_ready")


def _signable_refused(act: Act) -> str:
    return _("A %(state)s act cannot be signed or disputed.") % {"state": act.get_state_display().lower()}


ACT_MACHINE = Machine(
    events=ActEvent,
    transitions=ACT_TRANSITIONS,
    locked=lambda: Act.objects.select_for_update(of=("self",)).select_related("contract", "client"),
    refused=_signable_refused,
    refusals={
        "send": lambda act: _("A %(state)s act cannot be sent.") % {"state": act.get_state_display().lower()},
        "deem_accepted": lambda act: _("This act is not past its deadline."),
    },
    guard=_act_guard,
    before=_act_before,
)


def act_send(*, act: Act, actor, via: str = "") -> Act:
    """Send a draft act, or re-send a disputed one as a new revision. The PDF is rendered and hashed
    by a worker right after; until then the act shows as being prepared and cannot be signed.

    Sending an act whose PDF is still being prepared queues its rendering again (same revision): the
    way out when a worker died mid-render, without waiting for the repair task."""
    from ..tasks import render_act

    require_manager(actor)
    with transaction.atomic():
        act = Act.objects.select_for_update(of=("self",)).select_related("contract").get(pk=act.pk)
        if act.state == ActState.SENT and not act.pdf_sha256:
            _requeue(act, task=render_act, actor=actor, via=via)
            return act

        def revise(act: Act, now: dt.datetime) -> None:
            act.revision += 1
            act.sent_at, act.sent_by = now, actor
            act.accept_by = now + dt.timedelta(days=act.contract.acceptance_days)
            act.pdf, act.pdf_sha256 = "", ""

        def render(act: Act, now: dt.datetime) -> dict:
            assert act.accept_by is not None  # revise set it
            on_commit_task(render_act, act.tenant_id, act.pk, act.revision)
            return {"revision": act.revision, "accept_by": act.accept_by.isoformat()}

        return fire(ACT_MACHINE, act, "send", actor=actor, via=via, before=revise, after=render)


def act_render(*, act_id: int, revision: int) -> Act:
    """Render the sent revision's PDF and fix its SHA-256; safe to run twice."""
    act = Act.objects.select_related("contract__provider", "contract__client", "contract__tenant").get(pk=act_id)
    if act.revision != revision or act.pdf_sha256 or act.state != ActState.SENT:
        return act
    from ..pdf import render_act_pdf

    pdf = render_act_pdf(act)  # slow: outside the row lock
    with transaction.atomic():
        act = Act.objects.select_for_update().get(pk=act_id)
        if act.revision != revision or act.pdf_sha256 or act.state != ActState.SENT:
            return act
        act.pdf.save(f"{act.number}-r{revision}.pdf", ContentFile(pdf), save=False)
        act.pdf_sha256 = sha256_hex(pdf)
        act.save(update_fields=["pdf", "pdf_sha256"])
        _record(act, kind=ActEvent.Kind.RENDERED, data={"revision": revision, "sha256": act.pdf_sha256, "bytes": len(pdf)})
        _notify_client(act, kind="act_sent", key=f"act:{act.pk}:sent:{revision}",
                       title=_("Act %(number)s is waiting for your signature") % {"number": act.number},
                       body=_("Please review act %(number)s for %(start)s – %(end)s and sign or dispute it by "
                              "%(deadline)s UTC.") % {"number": act.number, "start": act.period_start,
                                                      "end": act.period_end,
                                                      "deadline": act.accept_by.strftime("%Y-%m-%d %H:%M")})
    return act


# --- deemed acceptance ------------------------------------------------------------------------


def act_deem_accepted(*, act: Act, now: dt.datetime | None = None) -> Act:
    """The client let the deadline pass: the act is accepted without a rating, and the client is told."""
    from ..tasks import seal_act

    now = now or timezone.now()

    def past_deadline(act: Act, _at) -> None:
        if not act.pdf_sha256 or act.accept_by is None or act.accept_by > now:
            raise TransitionRefused(_("This act is not past its deadline."))

    def deemed(act: Act, _at) -> dict:
        assert act.accept_by is not None  # past_deadline checked it
        Confirmation.objects.create(act=act, contract_id=act.contract_id, client_id=act.client_id,
                                    kind=Confirmation.Kind.DEEMED, confirmed_at=now)
        SignatureEvidence.objects.create(
            act=act, method=SignatureEvidence.Method.DEEMED, signed_at=now, document_sha256=act.pdf_sha256,
            signer_name=str(_("Deemed accepted")),
            consent_text=f"No signature or dispute by {act.accept_by.isoformat()}; deemed accepted under the "
                         f"contract's acceptance term.")
        return {"accept_by": act.accept_by.isoformat()}

    with transaction.atomic():
        act = fire(ACT_MACHINE, act, "deem_accepted", actor=None, before=past_deadline, after=deemed)
        assert act.accept_by is not None
        _notify_client(act, kind="act_deemed_accepted", key=f"act:{act.pk}:deemed",
                       title=_("Act %(number)s is deemed accepted") % {"number": act.number},
                       body=_("You did not sign or dispute act %(number)s by %(deadline)s UTC, so under the contract "
                              "it is deemed accepted.") % {"number": act.number,
                                                           "deadline": act.accept_by.strftime("%Y-%m-%d %H:%M")})
        on_commit_task(seal_act, act.tenant_id, act.pk)
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
    """Seal the accepted act's PDF (PAdES, the tenant's certificate); safe to run twice.

    The seal is computed outside the row lock (it takes a while); the lock is taken only to store it,
    and a second run that finds the act sealed already keeps the first seal."""
    act = Act.objects.select_related("evidence", "tenant", "client", "confirmation").get(pk=act_id)
    if act.sealed_sha256 or act.state not in ACCEPTED_STATES:
        return act
    with act.pdf.open("rb") as handle:
        original = handle.read()
    if sha256_hex(original) != act.pdf_sha256:
        raise RuntimeError(f"The stored PDF of act {act.pk} no longer matches its hash.")
    evidence = act.evidence
    when = evidence.signed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    how = "deemed accepted" if act.state == ActState.DEEMED_ACCEPTED else f"signed by {evidence.signer_name}"
    stamp = render_stamp_pdf(act, evidence) if has_stamp_box(original) else None
    sealed = seal_pdf(original, reason=f"Act {act.number} r{act.revision}: {how}, {when}",
                      signer_name=evidence.signer_name or "—", stamp=stamp, stamp_box=STAMP_BOX)
    with transaction.atomic():
        act = Act.objects.select_for_update(of=("self",)).get(pk=act_id)
        if act.sealed_sha256 or act.state not in ACCEPTED_STATES:
            return act
        act.sealed_pdf.save(f"{act.number}-r{act.revision}-sealed.pdf", ContentFile(sealed.pdf), save=False)
        act.sealed_sha256 = sealed.sha256
        act.save(update_fields=["sealed_pdf", "sealed_sha256"])
        SignatureEvidence.objects.filter(pk=evidence.pk).update(sealed_sha256=sealed.sha256,
                                                                certificate_fingerprint=sealed.fingerprint)
        _record(act, kind=ActEvent.Kind.SEALED, data={"sha256": sealed.sha256, "certificate": sealed.fingerprint})
    return act


# --- repair: work a worker left undone -------------------------------------------------------

STUCK_AFTER = dt.timedelta(minutes=5)  # a render or seal queued this long ago should be done
REQUEUE_SPACING = dt.timedelta(minutes=30)  # the task's own retries (with backoff) run meanwhile
MAX_REQUEUES = 24  # then the act needs a person: the error log says which
REQUEUED = ActEvent.Kind.REQUEUED


def _requeue(act: Act, *, task, actor=None, via: str = "") -> None:
    """Record on the timeline that the act's PDF work is queued again, and queue it after commit."""
    what = "render" if task.name.endswith("render_act") else "seal"
    _record(act, kind=REQUEUED, actor=actor, via=via, data={"task": what, "revision": act.revision})
    if what == "render":
        on_commit_task(task, act.tenant_id, act.pk, act.revision)
    else:
        on_commit_task(task, act.tenant_id, act.pk)


def _missing_documents(now: dt.datetime):
    """The current tenant's acts whose PDF or seal should be there by now and is not."""
    cutoff = now - STUCK_AFTER
    return Act.objects.filter(
        Q(state=ActState.SENT, pdf_sha256="", sent_at__lt=cutoff)
        | Q(state__in=ACCEPTED_STATES, sealed_sha256="", evidence__signed_at__lt=cutoff)
    )


def acts_repair(*, now: dt.datetime | None = None) -> int:
    """Queue again the rendering of sent acts still without a PDF and the sealing of signed or
    deemed-accepted acts still without a sealed PDF (a worker died, or every retry failed), in the
    current tenant. Idempotent: the tasks skip work already done, an act is queued at most once per
    `REQUEUE_SPACING`, and one being worked on right now (its row locked) is left alone."""
    from ..tasks import render_act, seal_act

    now = now or timezone.now()
    candidates = (
        _missing_documents(now)
        .annotate(
            last_requeue=Max("events__at", filter=Q(events__kind=REQUEUED)),
            requeues=Count("events", filter=Q(events__kind=REQUEUED, events__at__gte=F("sent_at"))),
        )
        .filter(Q(last_requeue__isnull=True) | Q(last_requeue__lt=now - REQUEUE_SPACING))
        .values_list("pk", "requeues")
    )
    queued = 0
    for pk, requeues in list(candidates):
        if requeues >= MAX_REQUEUES:
            logger.error("Act %s: its PDF work was queued %s times and is still not done; look at the worker's "
                         "log.", pk, requeues)
            continue
        with transaction.atomic():
            act = (_missing_documents(now).select_for_update(of=("self",), skip_locked=True)
                   .filter(pk=pk).first())
            if act is None:
                continue  # done meanwhile, or a worker holds it right now
            _requeue(act, task=render_act if act.state == ActState.SENT else seal_act)
        queued += 1
    return queued
