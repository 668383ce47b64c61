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
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import selectors as contract_selectors
from contracts.models import Contract
from sla.models import Breach
from tenancy.decorators import client_page, provider_page
from tenancy.errors import ActionForbidden, DomainError
from tenancy.forms import add_domain_error
from tenancy.sorting import ColumnSort

from . import calc, exports, selectors, services
from .forms import BuildForm, CreditNoteForm, NoteForm, PeriodFilterForm, RatingBandForm, WaiveForm
from .models import INVOICE_TRANSITIONS, Invoice, InvoiceState, RatingBand
from .pdf import render_invoices_pdf
from .services import BAND_EDITORS, BILLING_MANAGERS, BILLING_READERS, INVOICE_BUILDERS

PER_PAGE = 50
GROUP_ROWS = 25  # rows of each state's table on the desk before its "all" link
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

INVOICE_SORT = ColumnSort({
    "number": ("number", "period_start"), "period": ("period_start", "contract__number"),
    "contract": ("contract__number", "period_start"), "client": ("client__name", "period_start"),
    "state": ("state", "period_start"), "total": ("total", "period_start"), "due": ("due_date", "period_start"),
}, default="-period")


@provider_page(roles=BILLING_READERS)
def desk(request):
    """The invoices by state. Without a state chosen, each state's table shows its first
    `GROUP_ROWS` with the state's count and a link to all of them; with one, that state's invoices
    page by page. Either way the page reads a fixed number of rows, however many invoices years of
    contracts have made (it once rendered every one of them)."""
    form = PeriodFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start = end = None
    if filters.get("period"):
        start, end = services.month_bounds(filters["period"])
    invoices, sort = INVOICE_SORT.apply(
        selectors.invoice_list(period_start=start, period_end=end, state=filters.get("state", "")),
        request.GET.get("sort"))
    counts = dict(invoices.order_by().values("state").annotate(n=Count("id")).values_list("state", "n"))
    page = None
    if state := filters.get("state"):
        page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
        groups = [(state, InvoiceState(state).label, list(page), counts[state], False)] if counts.get(state) else []
    else:
        groups = [(state, label, list(invoices.filter(state=state)[:GROUP_ROWS]), counts[state], counts[state] > GROUP_ROWS)
                  for state, label in InvoiceState.choices if counts.get(state)]
    return render(request, "billing/desk.html", {
        "form": form, "groups": groups, "page": page, "period": filters.get("period", ""),
        "build_form": BuildForm(initial={"period": filters.get("period", "")}),
        "can_build": request.membership.role in INVOICE_BUILDERS, "sort": sort,
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
    if name == "issue" and request.POST.get("confirm") != "1":
        # issuing is irreversible and takes the next number: the page asks once more (works without JS)
        return render(request, "billing/invoice_issue_confirm.html", {"invoice": invoice})
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
    return _file(exports.invoices_file([invoice], fmt, language=get_language()), fmt, name)


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
    invoices = selectors.invoice_detail_list(period_start=start, period_end=end)
    if request.GET.get("report") == "adjustments":
        if fmt == "pdf":
            raise Http404
        return _file(exports.register_file(invoices, fmt, language=get_language()), fmt, f"adjustments-{start:%Y-%m}")
    if fmt == "pdf":
        return _file(render_invoices_pdf(invoices, language=request.GET.get("lang", "ru")), fmt,
                     f"invoices-{start:%Y-%m}")
    return _file(exports.invoices_file(invoices, fmt, language=get_language()), fmt, f"invoices-{start:%Y-%m}")


# --- rating bands of a contract ------------------------------------------------------------------

def _contract_or_404(pk: int) -> Contract:
    try:
        return contract_selectors.contract_get(contract_id=pk)
    except Contract.DoesNotExist as exc:
        raise Http404 from exc


def _band_or_404(contract: Contract, pk: int) -> RatingBand:
    try:
        return selectors.rating_band_list(contract_id=contract.pk).get(pk=pk)
    except RatingBand.DoesNotExist as exc:
        raise Http404 from exc


def _band_form(band: RatingBand, data=None) -> RatingBandForm:
    return RatingBandForm(data, initial={"min_rating": band.min_rating, "adjustment_pct": band.adjustment_pct},
                          auto_id=f"id_band{band.pk}_%s")


def _bands_page(request, contract: Contract, *, add_form=None, bound: tuple[int, RatingBandForm] | None = None,
                status: int = 200):
    can_edit = request.membership.role in BAND_EDITORS
    bands = list(selectors.rating_band_list(contract_id=contract.pk))
    rows = [(band, (bound[1] if bound and bound[0] == band.pk else _band_form(band)) if can_edit else None)
            for band in bands]
    return render(request, "billing/rating_bands.html", {
        "contract": contract, "rows": rows, "defaults": calc.DEFAULT_BANDS, "can_edit": can_edit,
        "add_form": (add_form or RatingBandForm(auto_id="id_new_%s")) if can_edit else None,
    }, status=status)


def _band_saved(request, contract: Contract, message: str):
    messages.success(request, message)
    return redirect("billing:rating-bands", contract.pk)


@provider_page(roles=BILLING_READERS)
def rating_bands(request, pk: int):
    """The contract's quality table (or the defaults it falls back to); editors add bands here."""
    contract = _contract_or_404(pk)
    if request.method != "POST":
        return _bands_page(request, contract)
    if request.membership.role not in BAND_EDITORS:
        raise PermissionDenied
    form = RatingBandForm(request.POST, auto_id="id_new_%s")
    if form.is_valid():
        try:
            services.rating_band_create(contract=contract, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _band_saved(request, contract, _("The band is added."))
    return _bands_page(request, contract, add_form=form, status=400)


@provider_page(roles=BAND_EDITORS)
@require_POST
def rating_band_update(request, pk: int, band_pk: int):
    contract = _contract_or_404(pk)
    band = _band_or_404(contract, band_pk)
    form = _band_form(band, request.POST)
    if form.is_valid():
        try:
            services.rating_band_update(band=band, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _band_saved(request, contract, _("The band is saved."))
    return _bands_page(request, contract, bound=(band.pk, form), status=400)


@provider_page(roles=BAND_EDITORS)
@require_POST
def rating_band_delete(request, pk: int, band_pk: int):
    contract = _contract_or_404(pk)
    band = _band_or_404(contract, band_pk)
    try:
        services.rating_band_delete(band=band, actor=request.user)
    except ActionForbidden as error:
        raise PermissionDenied(str(error.message)) from error
    return _band_saved(request, contract, _("The band is deleted."))


# --- the client portal --------------------------------------------------------------------------

@client_page
def portal_invoice_list(request):
    invoices, sort = INVOICE_SORT.apply(selectors.invoice_list(client_id=request.membership.client_id),
                                        request.GET.get("sort"))
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "billing/portal_invoice_list.html", {"page": page, "sort": sort})


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
