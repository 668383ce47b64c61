"""API viewsets of billing: invoices (build, transitions, waive a breach, exports), credit notes and
rating bands.

Provider staff who handle money (administrator, accountant, account manager) see every invoice of
the tenant; client users see only their client's issued and paid invoices (another client's, or a
draft, answers 404 like a missing one). Reads come from `billing.selectors`; writes validate the
body, call `billing.services` and render what the service returns.

Exports answer with a file: `GET /invoices/{id}/export/?format=csv|xlsx|pdf&lang=ru|en` for one
invoice, `GET /invoices/export/?period=YYYY-MM&format=…&report=invoices|adjustments` for a period.
A breach is waived from the invoice that charges it: `POST /invoices/{id}/waive-breach/`.
"""

from __future__ import annotations

from functools import cached_property

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from tenancy.api_base import TenantViewSet, transition_action
from tenancy.api_rows import FastListMixin
from tenancy.errors import DomainError
from tenancy.roles import CLIENT_ROLES, client_scope_of, roles_allowed

from .. import exports, selectors, services
from ..models import CreditNote, Invoice, InvoiceState, RatingBand
from ..pdf import render_invoices_pdf
from ..services import BAND_EDITORS, BILLING_MANAGERS, BILLING_READERS, INVOICE_BUILDERS
from .filters import CreditNoteFilter, InvoiceFilter, RatingBandFilter
from .serializers import (
    BreachWaiveSerializer,
    CreditNoteCreateSerializer,
    CreditNoteSerializer,
    InvoiceBuildSerializer,
    InvoiceDetailSerializer,
    InvoiceEventSerializer,
    InvoiceSerializer,
    InvoiceTransitionSerializer,
    InvoiceUpdateSerializer,
    InvoiceVoidSerializer,
    RatingBandSerializer,
    RatingBandUpdateSerializer,
)

FORMATS = ("csv", "xlsx", "pdf")
FORMAT_PARAM = OpenApiParameter("format", str, enum=list(FORMATS), required=True, description="File format.")
LANG_PARAM = OpenApiParameter("lang", str, enum=["ru", "en"], description="Language of the PDF (default ru).")
_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The file, as an attachment, in the format asked for.")
FILE_RESPONSE = {(200, media_type.split(";")[0]): _FILE for media_type in exports.CONTENT_TYPES.values()}
EXPORT_ACTIONS = ("export", "export_period")


def _file(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _format(request) -> str:
    fmt = request.query_params.get("format", "")
    if fmt not in FORMATS:
        raise DomainError("Choose format=csv, xlsx or pdf.", field="format", code="invalid")
    return fmt


_DESCRIPTIONS = {
    "issue": "Draft → issued: the invoice gets the next gapless number of the tenant and year (INV-YYYY-NNNNNN) "
             "and never changes again. ",
    "pay": "Issued → paid. ",
    "void": "Draft or issued → void; `note` (the reason) is required. ",
}


def _transition_action(name: str):
    return transition_action(
        Invoice, name, response=InvoiceDetailSerializer,
        request=lambda custom: InvoiceVoidSerializer if custom.get("note_required") else InvoiceTransitionSerializer,
        description=lambda sources, target, custom: _DESCRIPTIONS[name] + roles_allowed(services.BILLING_MANAGERS),
    )


class InvoiceViewSet(FastListMixin, mixins.ListModelMixin, TenantViewSet):
    """Invoices of a contract and month, with their lines and the evidence behind each adjustment."""

    model = Invoice
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["period_start", "total", "number", "state"]
    search_fields = ["number", "contract__number", "client__name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_roles = BILLING_READERS | CLIENT_ROLES
    write_roles = INVOICE_BUILDERS
    conflict_actions = ("issue", "pay", "void", "partial_update", "rebuild", "waive_breach")

    @cached_property
    def client_id(self) -> int | None:
        return client_scope_of(self.request.user)

    def scoped_queryset(self):
        if self.action == "list":
            return selectors.invoice_list(client_id=self.client_id)
        return selectors.invoice_detail_list(client_id=self.client_id)

    def get_serializer_class(self):
        return InvoiceSerializer if self.action == "list" else InvoiceDetailSerializer

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` names the export's file format, not a DRF renderer
        return super().perform_content_negotiation(request, force=force or self.action in EXPORT_ACTIONS)

    def invoice(self, pk) -> Invoice:
        try:
            return selectors.invoice_get(invoice_id=pk, client_id=self.client_id)
        except (Invoice.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.invoice(pk), InvoiceDetailSerializer))

    @extend_schema(
        request=InvoiceBuildSerializer, responses={201: InvoiceDetailSerializer, 200: InvoiceDetailSerializer},
        description="Build the draft invoice of a contract for a month (`period` YYYY-MM): the fee, the quality "
        "adjustment from the period's mean rating through the contract's rating bands, a penalty line per SLA "
        "breach not waived, the penalty cap, VAT per line. Idempotent: 201 when created; 200 with the existing "
        "invoice (a draft recomputed from the current evidence, anything else unchanged).",
    )
    def create(self, request):
        data = self.validated(InvoiceBuildSerializer)
        invoice = services.invoice_build(contract=data["contract"], period=data["period"], actor=request.user,
                                         via=self.via)
        code = status.HTTP_201_CREATED if invoice.was_created else status.HTTP_200_OK
        return Response(self.serialized(self.invoice(invoice.pk), InvoiceDetailSerializer), status=code)

    @extend_schema(request=InvoiceUpdateSerializer, responses=InvoiceDetailSerializer,
                   description="Change a draft's notes or due date. An issued invoice never changes: 409.")
    def partial_update(self, request, pk=None):
        invoice = self.invoice(pk)
        services.invoice_update(invoice=invoice, actor=request.user, via=self.via,
                                **self.validated(InvoiceUpdateSerializer, partial=True))
        return Response(self.serialized(self.invoice(pk), InvoiceDetailSerializer))

    @extend_schema(summary="Rebuild", request=None, responses=InvoiceDetailSerializer,
                   description="Recompute a draft from the current evidence; 409 for an issued invoice.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def rebuild(self, request, pk=None):
        services.invoice_rebuild(invoice=self.invoice(pk), actor=request.user, via=self.via)
        return Response(self.serialized(self.invoice(pk), InvoiceDetailSerializer))

    def fire_transition(self, request, name: str, body):
        invoice = self.invoice(self.kwargs["pk"])
        note = self.validated(body)["note"]
        services.invoice_transition(invoice=invoice, name=name, actor=request.user, note=note, via=self.via)
        return Response(self.serialized(self.invoice(invoice.pk), InvoiceDetailSerializer))

    issue = _transition_action("issue")
    pay = _transition_action("pay")
    void = _transition_action("void")

    @extend_schema(summary="Waive a breach", request=BreachWaiveSerializer, responses=InvoiceDetailSerializer,
                   description="Waive an SLA breach charged on this draft, with a reason; the draft is rebuilt "
                   "without its penalty. 409 once the invoice is issued (correct it with a credit note). "
                   "Administrator or accountant.")
    @action(detail=True, methods=["post"], url_path="waive-breach", url_name="waive-breach", filter_backends=[],
            pagination_class=None)
    def waive_breach(self, request, pk=None):
        invoice = self.invoice(pk)
        data = self.validated(BreachWaiveSerializer)
        charged = {line.breach_id for line in invoice.lines.all() if line.breach_id}
        if data["breach"].pk not in charged:
            raise DomainError("This breach is not charged on this invoice.", field="breach", code="invalid")
        services.breach_waive(breach=data["breach"], reason=data["reason"], actor=request.user, via=self.via)
        return Response(self.serialized(self.invoice(pk), InvoiceDetailSerializer))

    @extend_schema(summary="History", responses=InvoiceEventSerializer(many=True),
                   description="Built, rebuilt, every transition (who, when, from, to), waivers, credit notes.")
    @action(detail=True, methods=["get"], serializer_class=InvoiceEventSerializer, filter_backends=[],
            pagination_class=None)
    def events(self, request, pk=None):
        if self.client_id is not None:
            raise NotFound()
        invoice = self.invoice(pk)
        return Response(InvoiceEventSerializer(selectors.invoice_timeline(invoice=invoice), many=True).data)

    @extend_schema(summary="Download", parameters=[FORMAT_PARAM, LANG_PARAM], responses=FILE_RESPONSE,
                   description="The invoice as CSV or XLSX (one row per line) or PDF.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None, action_query_params=("lang",))
    def export(self, request, pk=None):
        fmt = _format(request)
        invoice = self.invoice(pk)
        name = invoice.number or f"invoice-draft-{invoice.pk}"
        if fmt == "pdf":
            return _file(render_invoices_pdf([invoice], language=request.query_params.get("lang", "ru")), fmt, name)
        return _file(exports.invoices_file([invoice], fmt), fmt, name)

    @extend_schema(
        summary="Download a period", operation_id="invoices_export_period",
        parameters=[
            OpenApiParameter("period", str, required=True, description="YYYY-MM"), FORMAT_PARAM, LANG_PARAM,
            OpenApiParameter("report", str, enum=["invoices", "adjustments"],
                             description="invoices (default) or the adjustments register (CSV or XLSX)."),
            OpenApiParameter("state", str, enum=InvoiceState.values, description="Only invoices in this state."),
        ],
        responses=FILE_RESPONSE,
        description="Every invoice of a month, or the adjustments register (which rating and which breach "
        "changed which amount). Provider staff only.",
    )
    @action(detail=False, methods=["get"], url_path="export", url_name="export-period", filter_backends=[],
            pagination_class=None, action_query_params=("period", "report", "state", "lang"))
    def export_period(self, request):
        if self.client_id is not None:
            raise NotFound()
        fmt = _format(request)
        start, end = services.month_bounds(request.query_params.get("period", ""))
        invoices = selectors.invoice_detail_list(period_start=start, period_end=end,
                                                state=request.query_params.get("state", ""))
        name = f"invoices-{start:%Y-%m}"
        if request.query_params.get("report") == "adjustments":
            if fmt == "pdf":
                raise DomainError("The adjustments register is CSV or XLSX.", field="format", code="invalid")
            return _file(exports.register_file(invoices, fmt), fmt, f"adjustments-{start:%Y-%m}")
        if fmt == "pdf":
            return _file(render_invoices_pdf(invoices, language=request.query_params.get("lang", "ru")), fmt, name)
        return _file(exports.invoices_file(invoices, fmt), fmt, name)


class CreditNoteViewSet(mixins.ListModelMixin, TenantViewSet):
    """Credit notes: the only correction of an issued invoice; never more than what is left of it."""

    model = CreditNote
    serializer_class = CreditNoteSerializer
    filterset_class = CreditNoteFilter
    ordering_fields = ["created_at", "number"]
    search_fields = ["number", "invoice__number"]
    http_method_names = ["get", "post", "head", "options"]
    read_roles = BILLING_READERS
    write_roles = BILLING_MANAGERS
    conflict_actions = ("create",)

    def scoped_queryset(self):
        return selectors.credit_note_list()

    def retrieve(self, request, pk=None):
        try:
            return Response(self.serialized(self.get_queryset().get(pk=pk)))
        except (CreditNote.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    @extend_schema(request=CreditNoteCreateSerializer, responses={201: CreditNoteSerializer},
                   description="Credit an issued or paid invoice (`amount` without VAT; the VAT follows at the "
                   "invoice's rate). More than what is left of the invoice: 400. A draft: 409.")
    def create(self, request):
        data = self.validated(CreditNoteCreateSerializer)
        note = services.credit_note_create(invoice=data["invoice"], amount=data["amount"], reason=data["reason"],
                                           actor=request.user, via=self.via)
        return Response(self.serialized(self.get_queryset().get(pk=note.pk)), status=status.HTTP_201_CREATED)


class RatingBandViewSet(mixins.ListModelMixin, TenantViewSet):
    """A contract's table of rating bands. A contract with none is billed by the default table
    (≥ 4.5 → +5 %, ≥ 3.0 → 0 %, ≥ 1.0 → −10 % of the quality-linked share)."""

    model = RatingBand
    serializer_class = RatingBandSerializer
    filterset_class = RatingBandFilter
    ordering_fields = ["min_rating"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_roles = BILLING_READERS
    write_roles = BAND_EDITORS

    def scoped_queryset(self):
        return selectors.rating_band_list()

    def band(self, pk) -> RatingBand:
        try:
            return self.get_queryset().get(pk=pk)
        except (RatingBand.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.band(pk)))

    @extend_schema(request=RatingBandSerializer, responses={201: RatingBandSerializer})
    def create(self, request):
        data = self.validated()
        band = services.rating_band_create(actor=request.user, **data)
        return Response(self.serialized(band), status=status.HTTP_201_CREATED)

    @extend_schema(request=RatingBandUpdateSerializer, responses=RatingBandSerializer)
    def partial_update(self, request, pk=None):
        band = services.rating_band_update(band=self.band(pk), actor=request.user,
                                           **self.validated(RatingBandUpdateSerializer, partial=True))
        return Response(self.serialized(band))

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.rating_band_delete(band=self.band(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
