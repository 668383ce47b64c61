"""Browser pages of disputes: the provider's list, dispute page and open form; the portal's list,
dispute page and open form. One dispute page serves both sides (both see the whole dispute: its
subject, stage, documents, messages and timeline); each side gets only its own actions.

Every lookup goes through the tenant (and, for a client user, their client): "not yours" is the
same 404 as "does not exist". State changes only by POST (CSRF), through disputes.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.decorators import client_page, provider_page
from tenancy.errors import DomainError
from tenancy.forms import add_domain_error
from tenancy.uploads import attachment_response

from . import selectors, services
from .forms import CommentForm, DeadlineForm, DisputeOpenForm, DocumentForm, NoteForm, ResolveForm
from .models import NEXT_STAGE, Dispute, DisputeDocument, DisputeKind, DisputeState

PER_PAGE = 25
ACTIONS = ("escalate", "resolve", "withdraw", "deadline", "document", "comment")


def _client_id(request) -> int | None:
    membership = request.membership
    return membership.client_id if membership.is_client_side else None


def _portal(request) -> bool:
    return request.membership.is_client_side


def _dispute_or_404(request, pk: int) -> Dispute:
    try:
        return selectors.dispute_get(dispute_id=pk, client_id=_client_id(request))
    except Dispute.DoesNotExist as exc:
        raise Http404 from exc


def _detail_url(request, dispute) -> str:
    name = "disputes:portal-dispute-detail" if _portal(request) else "disputes:dispute-detail"
    return reverse(name, args=[dispute.pk])


def _int(value) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


# --- lists -------------------------------------------------------------------------------------


def _list(request, *, template: str):
    state = request.GET.get("state", "")
    state = state if state in DisputeState.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in DisputeKind.values else ""
    contract_id = _int(request.GET.get("contract"))
    disputes = selectors.dispute_list(client_id=_client_id(request), contract_id=contract_id, state=state, kind=kind)
    page = Paginator(disputes, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {
        "page": page, "state": state, "kind": kind, "contract_id": contract_id, "states": DisputeState.choices,
        "kinds": DisputeKind.choices, "portal": _portal(request),
        "may_open": services.may_open(request.user, request.tenant.pk),
    })


@provider_page
def dispute_list(request):
    return _list(request, template="disputes/dispute_list.html")


@client_page
def portal_dispute_list(request):
    return _list(request, template="disputes/portal_dispute_list.html")


# --- open --------------------------------------------------------------------------------------


def _initial(request) -> dict:
    """Prefill from the page the user came from: ?contract=, ?act= or ?invoice=."""
    from billing.models import Invoice
    from confirmations.models import Act

    initial: dict = {}
    client_id = _client_id(request)
    if (act_id := _int(request.GET.get("act"))) is not None:
        act = Act.objects.filter(pk=act_id, **({"client_id": client_id} if client_id else {})).first()
        if act is not None:
            initial.update(kind=DisputeKind.ACT, act=act.pk, contract=act.contract_id,
                           title=_("Act %(number)s disputed") % {"number": act.number})
    elif (invoice_id := _int(request.GET.get("invoice"))) is not None:
        invoice = Invoice.objects.filter(pk=invoice_id, **({"client_id": client_id} if client_id else {})).first()
        if invoice is not None:
            initial.update(kind=DisputeKind.INVOICE_LINE, contract=invoice.contract_id)
    elif (contract_id := _int(request.GET.get("contract"))) is not None:
        initial.update(contract=contract_id)
    return initial


def _open(request, *, template: str):
    client_id = _client_id(request)
    invoice_id = _int(request.GET.get("invoice"))
    form = DisputeOpenForm(request.POST or None, client_id=client_id, invoice_id=invoice_id,
                           initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            dispute = services.dispute_open(actor=request.user, via="portal" if _portal(request) else "",
                                            **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Dispute %(number)s is open.") % {"number": dispute.number})
            return redirect(_detail_url(request, dispute))
    return render(request, template, {"form": form, "portal": _portal(request)},
                  status=400 if form.is_bound and form.errors else 200)


@provider_page(roles=services.PROVIDER_PARTIES)
def dispute_create(request):
    return _open(request, template="disputes/dispute_form.html")


@client_page
def portal_dispute_create(request):
    if not services.may_open(request.user, request.tenant.pk):
        raise PermissionDenied
    return _open(request, template="disputes/dispute_form.html")


# --- the dispute page --------------------------------------------------------------------------


def _render_detail(request, dispute: Dispute, *, status: int = 200, **forms):
    side = services.side_of(request.user, dispute.contract)
    resolver = services.is_resolver(request.user, dispute.tenant_id)
    context = {
        "dispute": dispute, "portal": _portal(request), "side": side,
        "progress": selectors.stage_progress(dispute),
        "owners": services.stage_owners(dispute) if dispute.is_open else [],
        "next_stage": NEXT_STAGE.get(dispute.state),
        "timeline": selectors.dispute_timeline(dispute=dispute),
        "documents": selectors.dispute_documents(dispute=dispute),
        "comments": selectors.dispute_comments(dispute=dispute),
        "credits": list(dispute.credit_links.all()),
        "may_escalate": side is not None and dispute.state in NEXT_STAGE,
        "may_resolve": resolver and dispute.is_open,
        "may_withdraw": side is not None and side == dispute.opened_side and dispute.is_open,
        "may_write": side is not None,
        "escalate_form": NoteForm(prefix="escalate"), "withdraw_form": NoteForm(prefix="withdraw"),
        "resolve_form": ResolveForm(), "deadline_form": DeadlineForm(initial={"stage_deadline": dispute.stage_deadline}),
        "document_form": DocumentForm(), "comment_form": CommentForm(),
        **forms,
    }
    return render(request, "disputes/dispute_detail.html", context, status=status)


@provider_page
def dispute_detail(request, pk: int):
    return _render_detail(request, _dispute_or_404(request, pk))


@client_page
def portal_dispute_detail(request, pk: int):
    return _render_detail(request, _dispute_or_404(request, pk))


def _act(request, pk: int, name: str):
    if name not in ACTIONS:
        raise Http404
    dispute = _dispute_or_404(request, pk)
    via = "portal" if _portal(request) else ""
    form_class, form_name, kwargs = {
        "escalate": (NoteForm, "escalate_form", {"prefix": "escalate"}),
        "withdraw": (NoteForm, "withdraw_form", {"prefix": "withdraw"}),
        "resolve": (ResolveForm, "resolve_form", {}),
        "deadline": (DeadlineForm, "deadline_form", {}),
        "document": (DocumentForm, "document_form", {}),
        "comment": (CommentForm, "comment_form", {}),
    }[name]
    form = form_class(request.POST, request.FILES, **kwargs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if name == "escalate":
                services.dispute_escalate(dispute=dispute, actor=request.user, note=data["note"], via=via)
                message = _("The dispute is escalated.")
            elif name == "withdraw":
                services.dispute_withdraw(dispute=dispute, actor=request.user, note=data["note"], via=via)
                message = _("The dispute is withdrawn.")
            elif name == "resolve":
                services.dispute_resolve(dispute=dispute, actor=request.user, compensation=data["compensation"],
                                         note=data["note"], via=via)
                message = _("The resolution is recorded.")
            elif name == "deadline":
                services.dispute_set_deadline(dispute=dispute, actor=request.user,
                                              stage_deadline=data["stage_deadline"], note=data["note"], via=via)
                message = _("The deadline is moved.")
            elif name == "document":
                services.dispute_add_document(dispute=dispute, actor=request.user, upload=data["file"], via=via)
                message = _("The document is added.")
            else:
                services.dispute_comment(dispute=dispute, actor=request.user, body=data["body"], via=via)
                message = _("The message is sent.")
        except DomainError as error:
            add_domain_error(form, error)  # ActionForbidden becomes a 403 here
            status = error.status
        else:
            messages.success(request, message)
            return redirect(_detail_url(request, dispute))
    else:
        status = 400
    for errors in form.errors.values():
        for text in errors:
            messages.error(request, text)
    return _render_detail(request, _dispute_or_404(request, pk), status=status, **{form_name: form})


@provider_page
@require_POST
def dispute_action(request, pk: int, name: str):
    return _act(request, pk, name)


@client_page
@require_POST
def portal_dispute_action(request, pk: int, name: str):
    return _act(request, pk, name)


def _download(request, pk: int, document_pk: int):
    dispute = _dispute_or_404(request, pk)
    try:
        document = selectors.dispute_document_get(dispute=dispute, document_id=document_pk)
    except DisputeDocument.DoesNotExist as exc:
        raise Http404 from exc
    return attachment_response(document)


@provider_page
def dispute_document(request, pk: int, document_pk: int):
    """A document of a dispute of the tenant; another tenant's is the same 404 as a missing one."""
    return _download(request, pk, document_pk)


@client_page
def portal_dispute_document(request, pk: int, document_pk: int):
    """A document of a dispute of the user's own client; another client's is a 404."""
    return _download(request, pk, document_pk)

