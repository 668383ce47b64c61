"""The obligations part of the REST API (/api/v1/): `obligations` and `obligation-occurrences`.

Provider staff only (the API's default permission). Reads come from `contracts.obligations`
selectors; writes validate the body and call its services. Another tenant's ids, in the path or
in a body, answer exactly like missing ones.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.api_base import TenantRelatedField, TenantViewSet
from tenancy.roles import PROVIDER_ROLES
from tenancy.selectors import tenant_users

from . import obligations as service
from .models import Contract, Obligation, ObligationOccurrence, ObligationRule, OccurrenceState


def _contracts():
    return Contract.objects.all()


def _label(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


# --- serializers ------------------------------------------------------------------------------


class ObligationSerializer(serializers.ModelSerializer):
    contract = TenantRelatedField(scope=_contracts)
    owner = TenantRelatedField(scope=tenant_users)
    owner_name = serializers.SerializerMethodField()
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    schedule = serializers.SerializerMethodField(help_text="The rule in words.")
    open_count = serializers.IntegerField(read_only=True)
    overdue_count = serializers.IntegerField(read_only=True)
    day = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=31)
    month = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=12)
    business_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=20)
    reminder_days = serializers.IntegerField(required=False, min_value=0, max_value=60)
    starts_on = serializers.DateField(required=False)

    class Meta:
        model = Obligation
        fields = [
            "id", "contract", "contract_number", "title", "description", "owner", "owner_name", "rule", "day",
            "month", "business_days", "reminder_days", "starts_on", "is_active", "template", "schedule",
            "open_count", "overdue_count", "created_at",
        ]
        read_only_fields = ["template", "created_at"]

    def get_owner_name(self, obligation) -> str | None:
        return _label(obligation.owner)

    def get_schedule(self, obligation) -> str:
        return service.schedule_label(obligation)


class ObligationUpdateSerializer(ObligationSerializer):
    contract = serializers.PrimaryKeyRelatedField(read_only=True)


class OccurrenceSerializer(serializers.ModelSerializer):
    obligation_title = serializers.CharField(source="obligation.title", read_only=True)
    contract = serializers.IntegerField(source="obligation.contract_id", read_only=True)
    contract_number = serializers.CharField(source="obligation.contract.number", read_only=True)
    owner = serializers.IntegerField(source="obligation.owner_id", read_only=True)
    done_by_name = serializers.SerializerMethodField()
    has_evidence_file = serializers.SerializerMethodField()

    class Meta:
        model = ObligationOccurrence
        fields = [
            "id", "obligation", "obligation_title", "contract", "contract_number", "owner", "due_date", "state",
            "overdue_at", "done_at", "done_by", "done_by_name", "evidence_note", "evidence_name", "evidence_size",
            "evidence_sha256", "has_evidence_file",
        ]
        read_only_fields = fields

    def get_done_by_name(self, occurrence) -> str | None:
        return _label(occurrence.done_by)

    def get_has_evidence_file(self, occurrence) -> bool:
        return bool(occurrence.evidence_file)


class CompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text="What was done. A note, a file or both are required.")
    file = serializers.FileField(required=False, allow_null=True, default=None,
                                 help_text="Evidence, sent as multipart/form-data; checked like an order attachment.")


# --- filters ----------------------------------------------------------------------------------


def _contract_choices(request):
    return Contract.objects.all()


def _user_choices(request):
    return tenant_users(active_only=False)


class ObligationFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contract_choices)
    owner = filters.ModelChoiceFilter(queryset=_user_choices)
    is_active = filters.BooleanFilter()
    rule = filters.ChoiceFilter(choices=ObligationRule.choices)

    class Meta:
        model = Obligation
        fields = ["contract", "owner", "is_active", "rule"]


class OccurrenceFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contract_choices, field_name="obligation__contract")
    owner = filters.ModelChoiceFilter(queryset=_user_choices, field_name="obligation__owner")
    obligation = filters.NumberFilter(field_name="obligation_id")
    state = filters.MultipleChoiceFilter(choices=OccurrenceState.choices)
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = ObligationOccurrence
        fields = ["contract", "owner", "obligation", "state", "due_after", "due_before"]


# --- viewsets ---------------------------------------------------------------------------------

_FIELDS = ("title", "description", "owner", "rule", "day", "month", "business_days", "reminder_days",
           "starts_on", "is_active")


class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """A contract's recurring duties. Created and changed by administrators and account managers;
    stopping one (`is_active` false) removes its pending occurrences from today on."""

    model = Obligation
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilter
    search_fields = ["title", "contract__number"]
    ordering_fields = ["title", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return service.obligation_list()

    def get_serializer_class(self):
        if self.action == "partial_update":
            return ObligationUpdateSerializer
        return self.serializer_class

    def create(self, request):
        data = self.validated()
        obligation = service.obligation_create(
            contract=data["contract"], actor=request.user, via=self.via,
            **{k: v for k, v in data.items() if k in _FIELDS and k != "is_active"},
        )
        return Response(self.serialized(self.get_queryset().get(pk=obligation.pk)), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        obligation = self.get_object()
        data = self.validated(instance=obligation, partial=True)
        service.obligation_update(obligation=obligation, actor=request.user, via=self.via,
                                  **{k: v for k, v in data.items() if k in _FIELDS})
        return Response(self.serialized(self.get_queryset().get(pk=obligation.pk)))


class ObligationOccurrenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The dated occurrences of obligations, soonest due first. `state=overdue` lists what is late."""

    model = ObligationOccurrence
    serializer_class = OccurrenceSerializer
    filterset_class = OccurrenceFilter
    ordering_fields = ["due_date", "id"]
    http_method_names = ["get", "post", "head", "options"]
    write_roles = PROVIDER_ROLES  # the owner completes; the service checks owner or manager
    conflict_actions = ("complete",)

    def scoped_queryset(self):
        return service.occurrence_list()

    @extend_schema(
        summary="Mark done", request={"multipart/form-data": CompleteSerializer, "application/json": CompleteSerializer},
        responses=OccurrenceSerializer,
        description="pending → done, overdue → done_late, with a note and/or an evidence file. Only the "
        "obligation's owner or an administrator or account manager may; 409 when already done.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def complete(self, request, pk=None):
        occurrence = self.get_object()
        data = self.validated(CompleteSerializer)
        service.obligation_occurrence_complete(occurrence=occurrence, actor=request.user, note=data["note"],
                                               upload=data["file"], via=self.via)
        return Response(self.serialized(self.get_queryset().get(pk=occurrence.pk), OccurrenceSerializer))


def register(router) -> None:
    router.register("obligations", ObligationViewSet, basename="api-obligation")
    router.register("obligation-occurrences", ObligationOccurrenceViewSet, basename="api-obligation-occurrence")

