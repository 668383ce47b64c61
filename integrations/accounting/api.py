"""The accounting export in the REST API: `GET /api/v1/accounting/export/?from=&to=&format=json|xml`
(or `?period=YYYY-MM` for a month): the invoices and credit notes issued in the period, as JSON (the
default) or as a 1C EnterpriseData XML message. Administrators and accountants only."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from billing.models import Invoice
from billing.services import month_bounds
from tenancy.api_base import ApiAutoSchema, DateField, TenantViewSet
from tenancy.audit_export import period_errors
from tenancy.context import require_tenant_id
from tenancy.errors import DomainError
from tenancy.models import Tenant

from . import export
from .roles import ACCOUNTING_EXPORTERS


class ExportQuerySerializer(serializers.Serializer):
    """`?from=&to=` or `?period=`, and `format`: the fields carry the parameters' names, so an error
    names what was sent."""

    def get_fields(self):
        return {
            "from": DateField(required=False),
            "to": DateField(required=False),
            "period": serializers.CharField(required=False, max_length=7),
            "format": serializers.ChoiceField(choices=export.FORMATS, required=False, default="json"),
        }

    def validate(self, attrs):
        if attrs.get("period"):
            try:
                attrs["from"], attrs["to"] = month_bounds(attrs["period"])
            except DomainError as error:
                raise serializers.ValidationError({"period": error.message}) from None
        missing = {name: _("Give a date (YYYY-MM-DD), or a month as period=YYYY-MM.")
                   for name in ("from", "to") if attrs.get(name) is None}
        if missing:
            raise serializers.ValidationError(missing)
        errors = period_errors(attrs["from"], attrs["to"])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- the JSON document, described for the OpenAPI schema and rendered through it -------------------

def _money(help_text: str = ""):
    return serializers.CharField(help_text=help_text or "Decimal with 2 places, as a string.")


class AccountingLegalPartySerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Stable across exports (uuid5 of the tenant and the row).")
    name = serializers.CharField()
    legal_name = serializers.CharField()
    kind = serializers.CharField(help_text="legal_entity, or individual (an entrepreneur: 12-digit INN).")
    inn = serializers.CharField(allow_blank=True)
    kpp = serializers.CharField(allow_blank=True)
    ogrn = serializers.CharField(allow_blank=True)
    legal_address = serializers.CharField(allow_blank=True)
    bank_name = serializers.CharField(allow_blank=True)
    bik = serializers.CharField(allow_blank=True)
    settlement_account = serializers.CharField(allow_blank=True)
    correspondent_account = serializers.CharField(allow_blank=True)


class AccountingCounterpartySerializer(AccountingLegalPartySerializer):
    client_id = serializers.IntegerField()
    tax_id = serializers.CharField(allow_blank=True, help_text="A foreign tax or VAT number, if any.")


class AccountingContractSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    contract_id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    date = serializers.DateField()
    organisation = serializers.UUIDField()
    counterparty = serializers.UUIDField()
    currency = serializers.CharField()


class AccountingLineSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.CharField()
    service = serializers.CharField(help_text="The service (the line's kind), in Russian.")
    description = serializers.CharField()
    quantity = serializers.CharField()
    price = _money()
    amount = _money("Without VAT.")
    vat_rate = _money("Percent.")
    vat_code = serializers.CharField(help_text="EnterpriseData's rate: НДС22, НДС20, НДС10, БезНДС.")
    vat = _money()
    total = _money()


class _AccountingDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    date = serializers.DateField(help_text="Issue date.")
    organisation = serializers.UUIDField()
    counterparty = serializers.UUIDField()
    contract = serializers.UUIDField()
    currency = serializers.CharField()
    amounts_include_vat = serializers.BooleanField()
    vat_rate = _money("Percent.")
    vat_code = serializers.CharField()
    vat = _money()
    total = _money()


class AccountingInvoiceSerializer(_AccountingDocumentSerializer):
    invoice_id = serializers.IntegerField()
    state = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    subtotal = _money("Without VAT.")
    lines = AccountingLineSerializer(many=True)


class AccountingCreditNoteSerializer(_AccountingDocumentSerializer):
    credit_note_id = serializers.IntegerField()
    reason = serializers.CharField()
    invoice = serializers.UUIDField(help_text="The invoice it reduces.")
    invoice_number = serializers.CharField()
    invoice_date = serializers.DateField(allow_null=True)
    amount = _money("The reduction, without VAT.")
    service = serializers.CharField()


class AccountingTotalsSerializer(serializers.Serializer):
    invoices = serializers.DictField(child=serializers.CharField())
    credit_notes = serializers.DictField(child=serializers.CharField())


class AccountingExportSerializer(serializers.Serializer):
    format = serializers.CharField()
    version = serializers.IntegerField()
    organisation = serializers.DictField()
    period = serializers.DictField(child=serializers.DateField())
    generated_at = serializers.DateTimeField()
    organisations = AccountingLegalPartySerializer(many=True, help_text="The suppliers of the documents.")
    counterparties = AccountingCounterpartySerializer(many=True)
    contracts = AccountingContractSerializer(many=True)
    invoices = AccountingInvoiceSerializer(many=True)
    credit_notes = AccountingCreditNoteSerializer(many=True)
    totals = AccountingTotalsSerializer()
    warnings = serializers.ListField(child=serializers.CharField(),
                                     help_text="Missing details the accounting system will ask for (an INN).")


class _OneObjectSchema(ApiAutoSchema):
    def _is_list_view(self, serializer=None) -> bool:
        return False


class AccountingExportViewSet(TenantViewSet):
    model = Invoice
    read_roles = ACCOUNTING_EXPORTERS
    http_method_names = ["get", "head", "options"]
    filter_backends: list = []
    pagination_class = None
    schema = _OneObjectSchema()
    list_query_params = ("from", "to", "period")

    def scoped_queryset(self):
        return Invoice.objects.none()

    @extend_schema(
        summary="Export issued invoices and credit notes for the accounting system",
        description="The invoices issued (still issued or paid) and the credit notes issued on the days of the period "
                    "(both included; two years at most), with the suppliers, the clients and their legal details "
                    "(INN, KPP, OGRN, bank), the contracts, VAT rate and amounts per line. `format=json` (the "
                    "default) answers the document below; `format=xml` a 1C:Enterprise EnterpriseData 1.8 exchange "
                    "message (Справочник.Организации, Справочник.Контрагенты, Справочник.Договоры, "
                    "Документ.РеализацияТоваровУслуг per invoice, Документ.КорректировкаРеализации per credit note). "
                    "Administrators and accountants only.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=False, description="First day (with `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False, description="Last day, included."),
            OpenApiParameter("period", str, required=False, description="A month, YYYY-MM, instead of from/to."),
            OpenApiParameter("format", str, enum=list(export.FORMATS), required=False),
        ],
        responses={(200, "application/json"): AccountingExportSerializer,
                   (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def list(self, request):
        params = {key: request.query_params.get(key) for key in ("from", "to", "period", "format")
                  if request.query_params.get(key) not in (None, "")}
        query = ExportQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        tenant = Tenant.objects.get(pk=require_tenant_id())
        period = export.Period(date_from=query.validated_data["from"], date_to=query.validated_data["to"])
        data = export.export_data(tenant=tenant, period=period)
        fmt = query.validated_data["format"]
        if fmt == "json":
            response = Response(AccountingExportSerializer(data).data)
        else:
            response = HttpResponse(export.render(data, fmt, sender=tenant.slug), content_type=export.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{export.filename(tenant, period, fmt)}"'
        return response

    def perform_content_negotiation(self, request, force=False):
        # `format` is this endpoint's own parameter, not DRF's renderer override
        return super().perform_content_negotiation(request, force=True)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("accounting/export", AccountingExportViewSet, basename="api-accounting-export")
