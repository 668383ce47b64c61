"""Browser pages of billing: the accountant's desk (/billing/) with the invoice page and the period
exports, and the client portal's invoices (/portal/invoices/).

Every lookup goes through the tenant (and, for a client user, their client and the issued or paid
states): "not yours" is the same 404 as "does not exist". Views read through `billing.selectors`
and write only through `billing.services`; state changes are POSTs.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sla.models import Breach
from tenancy.decorators import client_page, provider_page
from tenancy.errors import ActionForbidden, DomainError
from tenancy.forms import add_domain_error

from . import exports, selectors, services
from .forms import BuildForm, CreditNoteForm, NoteForm, PeriodFilterForm, WaiveForm
from .models import INVOICE_TRANSITIONS, Invoice, InvoiceState
from .pdf import render_invoices_pdf
from .services import BILLING_MANAGERS, BILLING_READERS, INVOICE_BUILDERS

PER_PAGE = 50
FORMATS = ("csv", "xlsx", "pdf")


def _file(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _invoice_or_404(pk: int, client_id: int | None = None) -> Invoice:
    try:
        return selectors.invoice_get(invoice_id=pk, client_id=client_id)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc


def _refused(request, error: DomainError, action: str) -> None:
    if isinstance(error, ActionForbidden):
        raise PermissionDenied(str(error.message))
    messages.error(request, _("“%(action)s” was refused:") % {"action": action}, extra_tags="heading")
    for message in error.messages:
        messages.error(request, message)


def _detail_url(invoice) -> str:
    return reverse("billing:invoice-detail", args=[invoice.pk])


# --- the desk -----------------------------------------------------------------------------------

@provider_page(roles=BILLING_READERS)
def desk(request):
    form = PeriodFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start = end = None
    if filters.get("period"):
        start, end = services.month_bounds(filters["period"])
    invoices = selectors.invoice_list(period_start=start, period_end=end, state=filters.get("state", ""))
    groups = [(state, label, [i for i in invoices if i.state == state]) for state, label in InvoiceState.choices]
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "billing/desk.html", {
        "form": form, "groups": groups, "page": page, "period": filters.get("period", ""),
        "build_form": BuildForm(initial={"period": filters.get("period", "")}),
        "can_build": request.membership.role in INVOICE_BUILDERS,
    })


@provider_page(roles=INVOICE_BUILDERS)
@require_POST
def build(request):
    form = BuildForm(request.POST)
    if form.is_valid():
        try:
            invoice = services.invoice_build(contract=form.cleaned_data["contract"], period=form.cleaned_data["period"],
                                             actor=request.user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The invoice is built.") if invoice.was_created
                             else _("The invoice of this period already exists; a draft is brought up to date."))
            return redirect(_detail_url(invoice))
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)
    return redirect("billing:desk")


@provider_page(roles=BILLING_READERS)
def invoice_detail(request, pk: int):
    invoice = _invoice_or_404(pk)
    remaining_amount, _remaining_vat = services.invoice_remaining(invoice)
    role = request.membership.role
    return render(request, "billing/invoice_detail.html", {
        "invoice": invoice, "lines": invoice.lines.all(), "credit_notes": invoice.credit_notes.all(),
        "events": selectors.invoice_timeline(invoice=invoice), "remaining": remaining_amount,
        "can_manage": role in BILLING_MANAGERS, "can_build": role in INVOICE_BUILDERS,
        "transitions": [t for t in invoice.get_available_state_transitions() if t.name in INVOICE_TRANSITIONS],
        "credit_form": CreditNoteForm(), "note_form": NoteForm(), "formats": FORMATS,
    })


@provider_page(roles=BILLING_MANAGERS)
@require_POST
def invoice_transition(request, pk: int, name: str):
    invoice = _invoice_or_404(pk)
    if name not in INVOICE_TRANSITIONS:
        raise Http404
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        invoice = services.invoice_transition(invoice=invoice, name=name, actor=request.user, note=note)
    except DomainError as error:
        _refused(request, error, name)
    else:
        messages.success(request, _("Invoice %(number)s is now %(state)s.")
                         % {"number": str(invoice), "state": invoice.get_state_display().lower()})
    return redirect(_detail_url(invoice))


@provider_page(roles=INVOICE_BUILDERS)
@require_POST
def invoice_rebuild(request, pk: int):
    invoice = _invoice_or_404(pk)
    try:
        services.invoice_rebuild(invoice=invoice, actor=request.user)
    except DomainError as error:
        _refused(request, error, _("Rebuild"))
    else:
        messages.success(request, _("The draft is recomputed from the current evidence."))
    return redirect(_detail_url(invoice))


@provider_page(roles=BILLING_MANAGERS)
@require_POST
def breach_waive(request, pk: int):
    invoice = _invoice_or_404(pk)
    form = WaiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect(_detail_url(invoice))
    if form.cleaned_data["breach"] not in {line.breach_id for line in invoice.lines.all() if line.breach_id}:
        raise Http404
    breach = Breach.objects.get(pk=form.cleaned_data["breach"])
    try:
        services.breach_waive(breach=breach, reason=form.cleaned_data["reason"], actor=request.user)
    except DomainError as error:
        _refused(request, error, _("Waive"))
    else:
        messages.success(request, _("The breach is waived and the draft rebuilt."))
    return redirect(_detail_url(invoice))


@provider_page(roles=BILLING_MANAGERS)
@require_POST
def credit_note_create(request, pk: int):
    invoice = _invoice_or_404(pk)
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        try:
            note = services.credit_note_create(invoice=invoice, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _refused(request, error, _("Credit note"))
        else:
            messages.success(request, _("Credit note %(number)s is issued.") % {"number": note.number})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(_detail_url(invoice))


def _export_invoice(request, invoice, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    name = invoice.number or f"invoice-draft-{invoice.pk}"
    if fmt == "pdf":
        return _file(render_invoices_pdf([invoice], language=request.GET.get("lang", "ru")), fmt, name)
    return _file(exports.invoices_file([invoice], fmt), fmt, name)


@provider_page(roles=BILLING_READERS)
def invoice_export(request, pk: int, fmt: str):
    return _export_invoice(request, _invoice_or_404(pk), fmt)


@provider_page(roles=BILLING_READERS)
def period_export(request):
    """?period=YYYY-MM&format=csv|xlsx|pdf[&report=adjustments][&lang=ru|en]"""
    fmt = request.GET.get("format", "")
    try:
        start, end = services.month_bounds(request.GET.get("period", ""))
    except DomainError:
        raise Http404 from None
    if fmt not in FORMATS:
        raise Http404
    invoices = selectors.with_lines(selectors.invoice_list(period_start=start, period_end=end))
    if request.GET.get("report") == "adjustments":
        if fmt == "pdf":
            raise Http404
        return _file(exports.register_file(invoices, fmt), fmt, f"adjustments-{start:%Y-%m}")
    if fmt == "pdf":
        return _file(render_invoices_pdf(invoices, language=request.GET.get("lang", "ru")), fmt,
                     f"invoices-{start:%Y-%m}")
    return _file(exports.invoices_file(invoices, fmt), fmt, f"invoices-{start:%Y-%m}")


# --- the client portal --------------------------------------------------------------------------

@client_page
def portal_invoice_list(request):
    invoices = selectors.invoice_list(client_id=request.membership.client_id)
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "billing/portal_invoice_list.html", {"page": page})


@client_page
def portal_invoice_detail(request, pk: int):
    invoice = _invoice_or_404(pk, client_id=request.membership.client_id)
    return render(request, "billing/portal_invoice_detail.html", {
        "invoice": invoice, "lines": invoice.lines.all(), "credit_notes": invoice.credit_notes.all(),
    })


@client_page
def portal_invoice_pdf(request, pk: int):
    invoice = _invoice_or_404(pk, client_id=request.membership.client_id)
    return _export_invoice(request, invoice, "pdf")
