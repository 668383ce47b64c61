"""Serializers of the billing API: they validate input and render output, and never save."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from contracts.models import Contract
from sla.models import Breach
from tenancy.api_base import DateField, TenantRelatedField
from tenancy.bounds import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH

from ..models import CreditNote, Invoice, InvoiceEvent, InvoiceLine, InvoiceState, RatingBand

MONEY = {"max_digits": 14, "decimal_places": 2}


def _contracts():
    return Contract.objects.all()


def _invoices():
    return Invoice.objects.all()


def _breaches():
    return Breach.objects.all()


class EvidenceActSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class EvidenceConfirmationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    act = serializers.IntegerField(source="act_id")
    act_number = serializers.CharField(source="act.number")
    kind = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    confirmed_at = serializers.DateTimeField()


class EvidenceBreachSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    metric = serializers.CharField()
    due_at = serializers.DateTimeField(help_text="The deadline that was missed: it puts the breach in its month.")
    breached_at = serializers.DateTimeField(help_text="When the sweep recorded the breach.")
    penalty = serializers.DecimalField(**MONEY)
    waived_at = serializers.DateTimeField(allow_null=True)


class InvoiceLineSerializer(serializers.ModelSerializer):
    description = serializers.CharField(source="describe", read_only=True)
    total = serializers.DecimalField(**MONEY, read_only=True)
    acts = EvidenceActSerializer(many=True, read_only=True)
    confirmations = EvidenceConfirmationSerializer(many=True, read_only=True)
    breaches = EvidenceBreachSerializer(many=True, read_only=True)

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "kind", "description", "amount", "vat", "total", "breach", "acts",
                  "confirmations", "breaches"]
        read_only_fields = fields


class CreditNoteSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = CreditNote
        fields = ["id", "number", "invoice", "invoice_number", "reason", "amount", "vat", "total", "issue_date",
                  "created_at"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    credited = serializers.DecimalField(**MONEY, read_only=True, help_text="The total of the credit notes.")

    class Meta:
        model = Invoice
        fields = ["id", "number", "state", "contract", "contract_number", "client", "client_name", "period_start",
                  "period_end", "currency", "vat_rate", "fee", "mean_rating", "rating_count", "subtotal",
                  "vat_amount", "total", "credited", "issue_date", "due_date", "notes", "built_at", "issued_at",
                  "paid_at", "voided_at"]
        read_only_fields = fields


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    credit_notes = CreditNoteSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines", "credit_notes"]
        read_only_fields = fields


class InvoiceBuildSerializer(serializers.Serializer):
    contract = TenantRelatedField(scope=_contracts)
    period = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="The month to invoice, YYYY-MM.")


class InvoiceUpdateSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    due_date = DateField(required=False, allow_null=True)


class InvoiceTransitionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH,
                                 help_text="Recorded with the transition in the invoice's history.")


class InvoiceVoidSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, help_text="The reason, required to void.")


class BreachWaiveSerializer(serializers.Serializer):
    breach = TenantRelatedField(scope=_breaches, help_text="A breach charged on this invoice.")
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class CreditNoteCreateSerializer(serializers.Serializer):
    invoice = TenantRelatedField(scope=_invoices)
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"), help_text="Without VAT.")
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class RatingBandSerializer(serializers.ModelSerializer):
    contract = TenantRelatedField(scope=_contracts)

    class Meta:
        model = RatingBand
        fields = ["id", "contract", "min_rating", "adjustment_pct"]
        validators = []  # the service checks uniqueness and names the field


class RatingBandUpdateSerializer(serializers.Serializer):
    min_rating = serializers.DecimalField(max_digits=3, decimal_places=2, required=False)
    adjustment_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)


class InvoiceEventSerializer(serializers.ModelSerializer):
    from_state = serializers.ChoiceField(
        choices=InvoiceState.choices, allow_blank=True, read_only=True,
        help_text="The state before a transition; empty for an event that is no transition (built, rebuilt).",
    )

    class Meta:
        model = InvoiceEvent
        fields = ["id", "kind", "transition", "from_state", "to_state", "actor_label", "at", "note", "data"]
        read_only_fields = fields
