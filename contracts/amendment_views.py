"""Browser pages of amendments: the list, an amendment's page with its changes, timeline and
actions, the propose form, renewing a contract; and the same in the client portal, where the
client's signatory agrees with the password and consent, like signing an act.

Thin like the other views: reads through `contracts.amendments` selectors (another tenant's or
another client's id is a 404), writes through its services, a refusal shown on the field it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.decorators import client_page, provider_page
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.forms import add_domain_error
from tenancy.roles import CONTRACT_MANAGERS

from . import amendments as service
from . import selectors
from .forms import AgreeForm, AmendmentFilterForm, AmendmentForm, DecisionForm
from .models import Amendment, AmendmentSide, ContractEvent

PER_PAGE = 25
manager_page = provider_page(roles=CONTRACT_MANAGERS)


# --- shared -----------------------------------------------------------------------------------


def _client_id(request) -> int | None:
    return request.membership.client_id if request.membership.is_client_side else None


def _amendment_or_404(request, pk: int) -> Amendment:
    try:
        return service.amendment_get(amendment_id=pk, client_id=_client_id(request))
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _contract_or_404(request, pk: int):
    try:
        contract = selectors.contract_get(contract_id=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    client_id = _client_id(request)
    if client_id is not None and contract.client_id != client_id:
        raise Http404  # another client's contract: the same answer as a missing one
    return contract


def _detail_url(request, amendment) -> str:
    name = "contracts:portal-amendment-detail" if request.membership.is_client_side else "contracts:amendment-detail"
    return reverse(name, args=[amendment.pk])


def _timeline(amendment: Amendment):
    events = (ContractEvent.objects.filter(contract_id=amendment.contract_id, data__amendment=amendment.pk)
              .select_related("actor").order_by("at", "id"))
    return list(events)


def _detail(request, amendment, *, template: str, agree_form=None, reject_form=None, cancel_form=None,
            status: int = 200):
    user = request.user
    may_decide = service.may_decide(user, amendment)
    return render(request, template, {
        "amendment": amendment,
        "contract": amendment.contract,
        "rows": service.amendment_change_rows(amendment),
        "events": _timeline(amendment),
        "may_decide": may_decide,
        "needs_signature": may_decide and amendment.proposed_side == AmendmentSide.PROVIDER,
        "may_cancel": service.may_cancel(user, amendment),
        "agree_form": agree_form or AgreeForm(),
        "reject_form": reject_form or DecisionForm(),
        "cancel_form": cancel_form or DecisionForm(),
        "sha256": service.document_sha256(amendment),
        "consent": getattr(amendment, "consent", None) if hasattr(amendment, "consent") else None,
        "portal": request.membership.is_client_side,
    }, status=status)


def _list(request, *, template: str):
    form = AmendmentFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_bound and form.is_valid() else ""
    amendments = service.amendment_list(client_id=_client_id(request), state=state)
    page = Paginator(amendments, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {"filter_form": form, "page": page})


def _refused(request, error: DomainError) -> None:
    if isinstance(error, ActionForbidden):
        raise PermissionDenied(str(error.message))
    for message in error.messages:
        messages.error(request, str(message))


def _propose(request, contract, *, template: str):
    form = AmendmentForm(request.POST if request.method == "POST" else None, contract=contract,
                         initial={"effective_date": request.tenant.today()})
    if request.method == "POST" and form.is_valid():
        try:
            amendment = service.amendment_propose(
                contract=contract, actor=request.user, effective_date=form.cleaned_data["effective_date"],
                reason=form.cleaned_data["reason"], changes=form.changes())
        except ActionForbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            for message in error.messages:
                form.add_error(form.field_for(error.field), str(message))
        else:
            messages.success(request, _("Amendment %(number)s is proposed; the other side is notified.")
                             % {"number": amendment.number})
            return redirect(_detail_url(request, amendment))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form, "contract": contract,
                                      "portal": request.membership.is_client_side}, status=status)


def _agree(request, pk: int, *, template: str):
    amendment = _amendment_or_404(request, pk)
    needs_signature = amendment.proposed_side == AmendmentSide.PROVIDER
    form = AgreeForm(request.POST) if needs_signature else None
    if form is not None and not form.is_valid():
        return _detail(request, amendment, template=template, agree_form=form, status=400)
    try:
        service.amendment_agree(
            amendment=amendment, actor=request.user, password=form.cleaned_data["password"] if form else "",
            consent=form.cleaned_data["consent"] if form else False,
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", ""), via="portal" if form else "")
    except ActionForbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except TransitionRefused as error:
        _refused(request, error)
    except DomainError as error:
        if form is None:
            _refused(request, error)
        else:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
            return _detail(request, amendment, template=template, agree_form=form,
                           status=429 if error.code == "locked_out" else 400)
    else:
        messages.success(request, _("Amendment %(number)s is agreed.") % {"number": amendment.number})
    return redirect(_detail_url(request, amendment))


def _decide(request, pk: int, *, template: str, action: str):
    amendment = _amendment_or_404(request, pk)
    form = DecisionForm(request.POST) if action == "reject" else None
    if form is not None and not form.is_valid():
        return _detail(request, amendment, template=template, reject_form=form, status=400)
    try:
        if action == "reject":
            service.amendment_reject(amendment=amendment, actor=request.user, note=form.cleaned_data["note"])
            messages.success(request, _("Amendment %(number)s is rejected.") % {"number": amendment.number})
        else:
            service.amendment_cancel(amendment=amendment, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("Amendment %(number)s is cancelled.") % {"number": amendment.number})
    except TransitionRefused as error:
        _refused(request, error)
    except DomainError as error:
        if form is None or isinstance(error, ActionForbidden):
            _refused(request, error)
        else:
            add_domain_error(form, error)
            return _detail(request, amendment, template=template, reject_form=form, status=400)
    return redirect(_detail_url(request, amendment))


# --- provider pages ---------------------------------------------------------------------------

DETAIL = "contracts/amendments/amendment_detail.html"
PORTAL_DETAIL = "contracts/amendments/portal_amendment_detail.html"


@provider_page
def amendment_list(request):
    return _list(request, template="contracts/amendments/amendment_list.html")


@provider_page
def amendment_detail(request, pk: int):
    return _detail(request, _amendment_or_404(request, pk), template=DETAIL)


@manager_page
def amendment_propose(request, pk: int):
    return _propose(request, _contract_or_404(request, pk), template="contracts/amendments/amendment_form.html")


@manager_page
@require_POST
def contract_renew(request, pk: int):
    contract = _contract_or_404(request, pk)
    try:
        amendment = service.contract_renew(contract=contract, actor=request.user)
    except DomainError as error:
        _refused(request, error)
        return redirect(reverse("contracts:contract-detail", args=[contract.pk]) + "#amendments")
    messages.success(request, _("Renewal %(number)s is proposed to the client.") % {"number": amendment.number})
    return redirect("contracts:amendment-detail", amendment.pk)


@manager_page
@require_POST
def amendment_agree(request, pk: int):
    return _agree(request, pk, template=DETAIL)


@manager_page
@require_POST
def amendment_reject(request, pk: int):
    return _decide(request, pk, template=DETAIL, action="reject")


@manager_page
@require_POST
def amendment_cancel(request, pk: int):
    return _decide(request, pk, template=DETAIL, action="cancel")


# --- the client portal ------------------------------------------------------------------------


@client_page
def portal_amendment_list(request):
    return _list(request, template="contracts/amendments/portal_amendment_list.html")


@client_page
def portal_amendment_detail(request, pk: int):
    return _detail(request, _amendment_or_404(request, pk), template=PORTAL_DETAIL)


@client_page
def portal_amendment_propose(request, pk: int):
    contract = _contract_or_404(request, pk)
    if service.side_of(request.user, contract) != AmendmentSide.CLIENT:
        raise PermissionDenied
    return _propose(request, contract, template="contracts/amendments/amendment_form.html")


@client_page
@require_POST
def portal_amendment_agree(request, pk: int):
    return _agree(request, pk, template=PORTAL_DETAIL)


@client_page
@require_POST
def portal_amendment_reject(request, pk: int):
    return _decide(request, pk, template=PORTAL_DETAIL, action="reject")


@client_page
@require_POST
def portal_amendment_cancel(request, pk: int):
    return _decide(request, pk, template=PORTAL_DETAIL, action="cancel")
