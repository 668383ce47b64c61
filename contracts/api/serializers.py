"""Serializers of the contracts API: they validate input and render output, and never save.

Related ids are `TenantRelatedField`s: resolved in the current tenant when the request is
validated, so another tenant's id is refused as "does not exist".
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenancy.api_base import ApiModelSerializer, TenantRelatedField
from tenancy.legal import LEGAL_FIELDS
from tenancy.models import ApiKey
from tenancy.selectors import tenant_users

from ..models import (
    TRANSITIONS,
    Client,
    Contract,
    ContractEvent,
    ContractParty,
    ContractRole,
    ContractState,
    Provider,
)


def _clients():
    return Client.objects.all()


def _providers():
    return Provider.objects.all()


def _contracts():
    return Contract.objects.all()


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


# --- clients and providers --------------------------------------------------------------------


class ClientSerializer(ApiModelSerializer):
    contract_count = serializers.IntegerField(read_only=True)
    active_contract_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Client
        fields = [
            "id", "name", "legal_name", "tax_id", "email", "phone", "address", "is_active",
            *LEGAL_FIELDS, "created_at", "contract_count", "active_contract_count",
        ]
        read_only_fields = ["created_at"]
        validators = []  # the name is unique per tenant: the service checks it


class ProviderSerializer(ApiModelSerializer):
    contract_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Provider
        fields = [
            "id", "name", "legal_name", "tax_id", "email", "phone", "address", "is_own",
            *LEGAL_FIELDS, "created_at", "contract_count",
        ]
        read_only_fields = ["created_at"]
        validators = []


# --- parties and roles ------------------------------------------------------------------------


class ContractPartySerializer(ApiModelSerializer):
    contract = TenantRelatedField(scope=_contracts)
    client = TenantRelatedField(
        scope=_clients, required=False, allow_null=True,
        help_text="For the customer party: the contract's client.",
    )
    provider = TenantRelatedField(
        scope=_providers, required=False, allow_null=True,
        help_text="For a contractor or subcontractor party.",
    )
    organisation_name = serializers.SerializerMethodField()

    class Meta:
        model = ContractParty
        fields = [
            "id", "contract", "kind", "client", "provider", "organisation_name",
            "representative", "basis", "responsibilities",
        ]
        validators = []  # one party per organisation and contract: the service checks it

    def get_organisation_name(self, party) -> str:
        return party.organisation.name


class ContractRoleSerializer(ApiModelSerializer):
    contract = TenantRelatedField(scope=_contracts)
    user = TenantRelatedField(
        scope=tenant_users, help_text="A member of your organisation (client-side roles: a user of the contract's client).",
    )
    user_name = serializers.SerializerMethodField()

    class Meta:
        model = ContractRole
        fields = ["id", "contract", "role", "user", "user_name", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # one cell per contract, role and user: the service checks it

    def get_user_name(self, assignment) -> str:
        return _user_label(assignment.user)


# --- contracts --------------------------------------------------------------------------------


class ContractSerializer(ApiModelSerializer):
    client = TenantRelatedField(scope=_clients)
    provider = TenantRelatedField(scope=_providers, help_text="The provider that signs: your own organisation or a subcontractor.")
    client_name = serializers.CharField(source="client.name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id", "number", "title", "state", "client", "client_name", "provider", "provider_name",
            "start_date", "end_date", "currency", "monthly_fee", "quality_share_pct", "penalty_cap_pct",
            "acceptance_days", "payment_terms_days", "invoice_day", "review_cadence", "review_lead_days",
            "auto_renew", "renewal_term_months", "renewal_notice_days", "dispute_negotiation_days",
            "dispute_mediation_days", "dispute_arbitration_days", "description", "created_at", "updated_at",
        ]
        read_only_fields = ["state", "created_at", "updated_at"]
        validators = []  # the number is unique per tenant: the service checks it


class ContractDetailSerializer(ContractSerializer):
    """One contract with its parties, its responsibility matrix and what the caller may do next."""

    available_transitions = serializers.SerializerMethodField()
    parties = ContractPartySerializer(many=True, read_only=True)
    roles = ContractRoleSerializer(many=True, read_only=True)

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "available_transitions", "parties", "roles"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TRANSITIONS)))
    def get_available_transitions(self, contract) -> list[str]:
        """Transitions the caller may fire now: allowed from the state, conditions met, role allows.

        The action of `return_to_draft` is at `…/return-to-draft/`.
        """
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return []
        if isinstance(request.auth, ApiKey) and not request.auth.allows(ApiKey.Scope.WRITE):
            return []
        names = {t.name for t in contract.get_available_user_state_transitions(request.user)}
        return [name for name in TRANSITIONS if name in names]  # in the state machine's order


class TransitionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="",
        help_text="Recorded with the transition in the contract's timeline.",
    )


class TransitionWithReasonSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=4000, help_text="The reason, recorded with the transition in the contract's timeline.",
    )


class ContractEventSerializer(serializers.ModelSerializer):
    from_state = serializers.ChoiceField(
        choices=ContractState.choices, allow_blank=True, read_only=True,
        help_text="The state before a transition; empty for an event that is no transition (created, edited).",
    )

    class Meta:
        model = ContractEvent
        fields = ["id", "kind", "transition", "from_state", "to_state", "actor", "actor_label", "at", "note", "data"]
        read_only_fields = fields
