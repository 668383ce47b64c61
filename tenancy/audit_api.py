"""The audit trail in the REST API (/api/v1/audit/): the export of a period and the chain's check.

- `GET /api/v1/audit/events/?from=&to=&contract=&format=csv|jsonl`: every event of the period (days
  in the organisation's time zone, both included, two years at most), streamed;
- `GET /api/v1/audit/verify/`: the organisation's hash chain checked from its first link to its
  head, with the first broken link if there is one.

For the provider's administrators and accountants only; other roles, client users included, 403.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from . import audit_export
from .api_base import ApiAutoSchema, TenantViewSet
from .api_input import DateField
from .chain import chain_verify
from .context import require_tenant_id
from .models import AuditChainHead, Tenant


class ExportQuerySerializer(serializers.Serializer):
    """`?from=&to=&contract=&format=`: the fields carry the parameters' own names, so an error names
    what was sent."""

    def get_fields(self):
        return {
            "from": DateField(),
            "to": DateField(),
            "contract": serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1),
            "format": serializers.ChoiceField(choices=audit_export.FORMATS, required=False, default="csv"),
        }

    def validate_contract(self, value):
        if value is not None and not audit_export.contracts().filter(pk=value).exists():
            raise serializers.ValidationError(_("No such contract."))
        return value

    def validate(self, attrs):
        errors = audit_export.period_errors(attrs["from"], attrs["to"])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class BrokenLinkSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["edited", "deleted", "inserted"])
    table = serializers.CharField(allow_null=True)
    row_id = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class ChainReportSerializer(serializers.Serializer):
    tenant_id = serializers.IntegerField()
    ok = serializers.BooleanField()
    checked = serializers.IntegerField(help_text="Linked event rows read.")
    unlinked = serializers.IntegerField(help_text="Event rows not linked yet (they are linked within a minute).")
    head_seq = serializers.IntegerField(help_text="The number of the chain's last link.")
    broken = BrokenLinkSerializer(allow_null=True, help_text="The first broken link, or null.")


class _AuditViewSet(TenantViewSet):
    model = AuditChainHead
    read_roles = audit_export.AUDIT_READERS
    http_method_names = ["get", "head", "options"]
    filter_backends: list = []
    pagination_class = None

    def scoped_queryset(self):
        return AuditChainHead.objects.all()


class AuditEventViewSet(_AuditViewSet):
    list_query_params = ("from", "to", "contract")
    @extend_schema(
        summary="Export the audit trail",
        description="Every event of every contract, order, act, invoice, review, amendment, obligation and dispute "
                    "of the period (its days in the organisation's time zone, both included; two years at most), "
                    "in chain order, then the events not linked yet by time. `contract` narrows it to one contract "
                    "and everything of it. CSV (a formula-safe cell each) or JSON Lines, streamed.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("contract", OpenApiTypes.INT, required=False),
            OpenApiParameter("format", str, enum=list(audit_export.FORMATS), required=False),
        ],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
                   (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def list(self, request):
        query = ExportQuerySerializer(data={key: request.query_params.get(key) for key in ("from", "to", "contract",
                                                                                           "format")
                                            if request.query_params.get(key) not in (None, "")})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        export = audit_export.ExportQuery(date_from=data["from"], date_to=data["to"],
                                          contract_id=data.get("contract"), fmt=data["format"])
        tenant = Tenant.objects.get(pk=require_tenant_id())
        response = StreamingHttpResponse(audit_export.stream(tenant, export),
                                         content_type=audit_export.CONTENT_TYPES[export.fmt])
        response["Content-Disposition"] = f'attachment; filename="{audit_export.filename(tenant, export)}"'
        return response

    def perform_content_negotiation(self, request, force=False):
        # `format` is this endpoint's own parameter, not DRF's renderer override
        return super().perform_content_negotiation(request, force=True)


class _OneObjectSchema(ApiAutoSchema):
    """`list` here answers one object (the report), not a list of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class AuditVerifyViewSet(_AuditViewSet):
    schema = _OneObjectSchema()

    @extend_schema(summary="Verify the audit chain", responses=ChainReportSerializer,
                   description="Checks the organisation's hash chain of events from its first link to its head and "
                               "reports the first broken link: `edited` (a row no longer matches its hash), "
                               "`deleted` (a gap, or the chain ends before its head), `inserted` (a number taken "
                               "twice or beyond the head). Links nothing.")
    def list(self, request):
        return Response(chain_verify(require_tenant_id()).as_dict())


def register(router) -> None:
    router.register("audit/events", AuditEventViewSet, basename="api-audit-events")
    router.register("audit/verify", AuditVerifyViewSet, basename="api-audit-verify")
