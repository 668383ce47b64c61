"""The amendments part of the REST API (/api/v1/): `amendments` and `contract-versions`.

Provider staff and client users read (a client user sees only their client's contracts); the
provider's administrators and account managers and the client's signatory or administrator
propose, decide and cancel, each on their side (the service checks which). A client agrees to a
provider's amendment in person: with the browser session (not an API key), the password and
consent in the body, like signing an act. Another tenant's or another client's ids answer 404.
"""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from tenancy.api_base import DateField, ErrorSerializer, TenantRelatedField, TenantViewSet
from tenancy.context import current_tenant_id
from tenancy.models import ApiKey
from tenancy.roles import CLIENT_ROLES, CONTRACT_MANAGERS, PROVIDER_ROLES, Role, membership_of

from . import amendments as service
from .models import Amendment, AmendmentSide, AmendmentState, Contract, ContractVersion


def _client_scope(user) -> int | None:
    """The client a client-side user is limited to; None for the provider's staff."""
    membership = membership_of(user, current_tenant_id())
    if membership is not None and membership.role in CLIENT_ROLES:
        return membership.client_id
    return None


def _label(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


# --- serializers ------------------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    term = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField(help_text="The value before, in words.")
    after = serializers.CharField(help_text="The new value, in words.")


class ConsentSerializer(serializers.Serializer):
    signer_name = serializers.CharField()
    method = serializers.CharField()
    signed_at = serializers.DateTimeField()
    document_sha256 = serializers.CharField()


class AmendmentSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    proposed_by_name = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()
    version_number = serializers.IntegerField(source="version.number", read_only=True, allow_null=True)
    changes = serializers.DictField(help_text="Each term changed (`monthly_fee`, `quality_share_pct`, "
                                    "`penalty_cap_pct`, `acceptance_days`, `end_date` or a section such as "
                                    "`parties`, `roles`, `rating_bands`) with its new value.")

    class Meta:
        model = Amendment
        fields = [
            "id", "number", "contract", "contract_number", "effective_date", "reason", "changes", "state",
            "proposed_by", "proposed_by_name", "proposed_side", "renews_end_date", "decided_by", "decided_by_name",
            "decided_at", "decision_note", "applied_at", "version", "version_number", "created_at",
        ]
        read_only_fields = fields

    def get_proposed_by_name(self, amendment) -> str | None:
        return _label(amendment.proposed_by)

    def get_decided_by_name(self, amendment) -> str | None:
        return _label(amendment.decided_by)


class AmendmentDetailSerializer(AmendmentSerializer):
    change_rows = serializers.SerializerMethodField()
    consent = serializers.SerializerMethodField()
    document_sha256 = serializers.SerializerMethodField(help_text="SHA-256 of the text the client agrees to.")

    class Meta(AmendmentSerializer.Meta):
        fields = [*AmendmentSerializer.Meta.fields, "change_rows", "consent", "document_sha256"]
        read_only_fields = fields

    @extend_schema_field(ChangeSerializer(many=True))
    def get_change_rows(self, amendment) -> list[dict]:
        return [row.__dict__ for row in service.amendment_change_rows(amendment)]

    @extend_schema_field(ConsentSerializer(allow_null=True))
    def get_consent(self, amendment) -> dict | None:
        if not hasattr(amendment, "consent"):  # a reverse one-to-one that does not exist
            return None
        return ConsentSerializer(amendment.consent).data

    def get_document_sha256(self, amendment) -> str:
        return service.document_sha256(amendment)


class AmendmentCreateSerializer(serializers.Serializer):
    contract = TenantRelatedField(scope=lambda: Contract.objects.all())
    effective_date = DateField()
    reason = serializers.CharField(max_length=5000)
    changes = serializers.DictField(help_text="Each term to change with its new value; others stay.")


class AgreeSerializer(serializers.Serializer):
    password = serializers.CharField(required=False, allow_blank=True, default="", max_length=4096,
                                     style={"input_type": "password"},
                                     help_text="The client's signatory re-enters their password.")
    consent = serializers.BooleanField(required=False, default=False,
                                       help_text="The client's signatory agrees that this is their signature.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, help_text="Why the amendment is rejected.")


class CancelSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class VersionSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    diff = serializers.SerializerMethodField(help_text="What changed against the previous version.")

    class Meta:
        model = ContractVersion
        fields = ["id", "contract", "contract_number", "number", "effective_from", "terms", "note", "created_at",
                  "diff"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_diff(self, version) -> list[dict]:
        known = self.context.get("terms_by_version")
        if known is None:
            return service.version_diff(version)
        return service.version_diff(version, previous=known.get((version.contract_id, version.number - 1)))


# --- filters ----------------------------------------------------------------------------------


def _contract_choices(request):
    return Contract.objects.all()


class AmendmentFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contract_choices)
    state = filters.ChoiceFilter(choices=AmendmentState.choices)
    proposed_side = filters.ChoiceFilter(choices=AmendmentSide.choices)

    class Meta:
        model = Amendment
        fields = ["contract", "state", "proposed_side"]


class VersionFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contract_choices)

    class Meta:
        model = ContractVersion
        fields = ["contract"]


# --- viewsets ---------------------------------------------------------------------------------

AMENDMENT_WRITERS = CONTRACT_MANAGERS | {Role.CLIENT_ADMIN, Role.CLIENT_SIGNATORY}


class AmendmentViewSet(mixins.ListModelMixin, TenantViewSet):
    """Amendments of active contracts: proposed by one side, agreed or rejected by the other, applied
    on their effective date into the contract's next version."""

    model = Amendment
    serializer_class = AmendmentSerializer
    filterset_class = AmendmentFilter
    ordering_fields = ["created_at", "effective_date", "number", "id"]
    http_method_names = ["get", "post", "head", "options"]
    read_roles = PROVIDER_ROLES | CLIENT_ROLES
    write_roles = AMENDMENT_WRITERS
    conflict_actions = ("agree", "reject", "cancel", "create")

    @cached_property
    def client_id(self) -> int | None:
        return _client_scope(self.request.user)

    def scoped_queryset(self):
        return service.amendment_list(client_id=self.client_id)

    def amendment_detail(self, pk) -> Amendment:
        try:
            return service.amendment_get(amendment_id=int(pk), client_id=self.client_id)
        except (Amendment.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def _respond(self, pk, *, created: bool = False) -> Response:
        return Response(self.serialized(self.amendment_detail(pk), AmendmentDetailSerializer),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses=AmendmentDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._respond(pk)

    @extend_schema(request=AmendmentCreateSerializer, responses={201: AmendmentDetailSerializer},
                   description="Propose an amendment to an active or suspended contract: the terms to change, "
                   "the date they take effect and why. Refused (400, naming `effective_date` or `changes.<term>`) "
                   "before the contract's start or its latest version, inside an invoiced period, with a value "
                   "equal to the current one, or when another open amendment changes the same term from the "
                   "same date. The other side is notified.")
    def create(self, request):
        data = self.validated(AmendmentCreateSerializer)
        contract = data["contract"]
        if self.client_id is not None and contract.client_id != self.client_id:
            raise serializers.ValidationError({"contract": [_("Invalid pk - object does not exist.")]})
        amendment = service.amendment_propose(contract=contract, actor=request.user, via=self.via,
                                              effective_date=data["effective_date"], reason=data["reason"],
                                              changes=dict(data["changes"]))
        return self._respond(amendment.pk, created=True)

    @extend_schema(summary="Agree", request=AgreeSerializer,
                   responses={200: AmendmentDetailSerializer, 429: OpenApiResponse(
                       ErrorSerializer, description="`locked_out`: too many wrong passwords.")},
                   description="The other side agrees. The client's signatory agrees to a provider's amendment "
                   "with the browser session only, `password` and `consent` (five wrong passwords within 15 "
                   "minutes lock their signing, acts included); a provider's administrator or account manager "
                   "agrees to a client's. An amendment whose date has come is applied at once.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def agree(self, request, pk=None):
        amendment = self.amendment_detail(pk)
        if self.client_id is not None and isinstance(request.auth, ApiKey):
            raise PermissionDenied(_("Amendments are agreed by the signatory in person: use the portal session, "
                                     "not an API key."))
        data = self.validated(AgreeSerializer)
        service.amendment_agree(amendment=amendment, actor=request.user, password=data["password"],
                                consent=data["consent"], note=data["note"],
                                ip_address=request.META.get("REMOTE_ADDR") or None,
                                user_agent=request.headers.get("User-Agent", ""), via=self.via)
        return self._respond(pk)

    @extend_schema(summary="Reject", request=DecisionSerializer, responses=AmendmentDetailSerializer,
                   description="The other side refuses the amendment, saying why.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reject(self, request, pk=None):
        amendment = self.amendment_detail(pk)
        service.amendment_reject(amendment=amendment, actor=request.user,
                                 note=self.validated(DecisionSerializer)["note"], via=self.via)
        return self._respond(pk)

    @extend_schema(summary="Cancel", request=CancelSerializer, responses=AmendmentDetailSerializer,
                   description="The proposing side withdraws a proposed or agreed, not yet applied, amendment.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None):
        amendment = self.amendment_detail(pk)
        service.amendment_cancel(amendment=amendment, actor=request.user,
                                 note=self.validated(CancelSerializer)["note"], via=self.via)
        return self._respond(pk)


class ContractVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The versions of contracts: the terms in force from each date, with what changed."""

    model = ContractVersion
    serializer_class = VersionSerializer
    filterset_class = VersionFilter
    ordering_fields = ["effective_from", "number", "id"]
    http_method_names = ["get", "head", "options"]
    read_roles = PROVIDER_ROLES | CLIENT_ROLES

    def scoped_queryset(self):
        queryset = ContractVersion.objects.select_related("contract").order_by("contract_id", "number")
        client_id = _client_scope(self.request.user)
        if client_id is not None:
            queryset = queryset.filter(contract__client_id=client_id)
        return queryset

    def list(self, request, *args, **kwargs):
        # each version's diff needs the one before it: one query for the page's contracts, not one per row
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = page if page is not None else list(self.filter_queryset(self.get_queryset()))
        terms = {(contract_id, number): value for contract_id, number, value in ContractVersion.objects.filter(
            contract_id__in={v.contract_id for v in rows}).values_list("contract_id", "number", "terms")}
        data = self.get_serializer_class()(rows, many=True, context={**self.get_serializer_context(),
                                                                     "terms_by_version": terms}).data
        return self.get_paginated_response(data) if page is not None else Response(data)


def register(router) -> None:
    router.register("amendments", AmendmentViewSet, basename="api-amendment")
    router.register("contract-versions", ContractVersionViewSet, basename="api-contract-version")
