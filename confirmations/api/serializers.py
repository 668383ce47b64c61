"""Serializers of the acts API: they validate input and render output, and never save."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import Contract
from orders.models import Order
from tenancy.api_base import DateField, TenantRelatedField
from tenancy.bounds import TEXT_MAX_LENGTH

from ..models import Act, ActEvent, ActLine, Confirmation, OrderRating, SignatureEvidence
from ..services import Basis

STATES_HELP = _("draft, sent, signed, disputed or deemed_accepted")


def _absolute(context, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class ActLineSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ActLine
        fields = ["position", "order", "order_number", "description", "quantity", "unit_price", "amount"]
        read_only_fields = fields


class OrderRatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderRating
        fields = ["order", "rating", "comment"]
        read_only_fields = fields


class ConfirmationSerializer(serializers.ModelSerializer):
    confirmed_by = serializers.CharField(source="confirmed_by.get_username", read_only=True, default=None)

    class Meta:
        model = Confirmation
        fields = ["kind", "rating", "comment", "confirmed_by", "confirmed_at"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignatureEvidence
        fields = ["signer_name", "method", "signed_at", "document_sha256", "sealed_sha256",
                  "certificate_fingerprint"]
        read_only_fields = fields


class ActSerializer(serializers.ModelSerializer):
    """An act as the list shows it; the detail adds lines, confirmation and evidence."""

    contract_number = serializers.CharField(source="contract.number", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    preparing = serializers.SerializerMethodField(help_text=_("A worker is rendering or sealing the PDF right now."))
    pdf_url = serializers.SerializerMethodField(help_text=_("The PDF the client reads and signs, once rendered."))
    sealed_pdf_url = serializers.SerializerMethodField(help_text=_("The sealed PDF, once signed or deemed accepted."))
    url = serializers.SerializerMethodField()
    state = serializers.CharField(read_only=True, help_text=STATES_HELP)

    class Meta:
        model = Act
        fields = ["id", "url", "number", "contract", "contract_number", "client", "client_name", "period_start",
                  "period_end", "language", "currency", "amount", "state", "revision", "sent_at", "accept_by",
                  "pdf_sha256", "sealed_sha256", "dispute_reason", "preparing", "pdf_url", "sealed_pdf_url",
                  "created_at"]
        read_only_fields = fields

    def get_preparing(self, act) -> bool:
        from ..selectors import act_is_busy

        return act_is_busy(act)

    def get_url(self, act) -> str:
        return _absolute(self.context, reverse("api-act-detail", args=[act.pk]))

    def get_pdf_url(self, act) -> str | None:
        return _absolute(self.context, reverse("api-act-pdf", args=[act.pk])) if act.pdf_sha256 else None

    def get_sealed_pdf_url(self, act) -> str | None:
        return _absolute(self.context, reverse("api-act-sealed-pdf", args=[act.pk])) if act.sealed_sha256 else None

    # the list's rows (tenancy.api_rows): the method fields above, from the page's columns, each
    # URL reversed once per page and completed with the row's id
    ROW_FIELDS = {"url": ("id",), "preparing": ("state", "pdf_sha256", "sealed_sha256"),
                  "pdf_url": ("id", "pdf_sha256"), "sealed_pdf_url": ("id", "sealed_sha256")}

    @staticmethod
    def row_fields(context) -> dict:
        from ..selectors import pdf_is_busy

        def url_of(name: str):
            marker = 987654321987
            before, _marker, after = _absolute(context, reverse(name, args=[marker])).rpartition(str(marker))
            return lambda pk: f"{before}{pk}{after}"

        detail, pdf, sealed = url_of("api-act-detail"), url_of("api-act-pdf"), url_of("api-act-sealed-pdf")
        return {
            "url": lambda row: detail(row["id"]),
            "preparing": lambda row: pdf_is_busy(row["state"], row["pdf_sha256"], row["sealed_sha256"]),
            "pdf_url": lambda row: pdf(row["id"]) if row["pdf_sha256"] else None,
            "sealed_pdf_url": lambda row: sealed(row["id"]) if row["sealed_sha256"] else None,
        }


class ActDetailSerializer(ActSerializer):
    lines = ActLineSerializer(many=True, read_only=True)
    confirmation = serializers.SerializerMethodField()
    order_ratings = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta(ActSerializer.Meta):
        fields = [*ActSerializer.Meta.fields, "lines", "confirmation", "order_ratings", "evidence"]
        read_only_fields = fields

    def _confirmation(self, act):
        return getattr(act, "confirmation", None) if hasattr(act, "confirmation") else None

    def get_confirmation(self, act) -> ConfirmationSerializer(allow_null=True):  # type: ignore[valid-type]
        confirmation = self._confirmation(act)
        return ConfirmationSerializer(confirmation).data if confirmation else None

    def get_order_ratings(self, act) -> OrderRatingSerializer(many=True):  # type: ignore[valid-type]
        confirmation = self._confirmation(act)
        return OrderRatingSerializer(confirmation.order_ratings.all(), many=True).data if confirmation else []

    def get_evidence(self, act) -> EvidenceSerializer(allow_null=True):  # type: ignore[valid-type]
        evidence = getattr(act, "evidence", None) if hasattr(act, "evidence") else None
        return EvidenceSerializer(evidence).data if evidence else None


class LineInputSerializer(serializers.Serializer):
    order = TenantRelatedField(scope=lambda: Order.objects.all(), required=False, allow_null=True)
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0, default=1)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)


class ActCreateSerializer(serializers.Serializer):
    contract = TenantRelatedField(scope=lambda: Contract.objects.all())
    period_start = DateField()
    period_end = DateField()
    language = serializers.ChoiceField(choices=Act.Language.choices, default=Act.Language.RU)
    basis = serializers.ChoiceField(choices=Basis.CHOICES, default=Basis.ORDERS,
                                    help_text=_("Where the lines come from when `lines` is not given."))
    lines = LineInputSerializer(many=True, required=False)


class ActUpdateSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=Act.Language.choices, required=False)
    lines = LineInputSerializer(many=True)


class OrderRatingInputSerializer(serializers.Serializer):
    order = TenantRelatedField(scope=lambda: Order.objects.all())
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)


class SignSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text=_("The work overall, 1–5."))
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH,
                                    help_text=_("Required with a rating of 2 or less."))
    order_ratings = OrderRatingInputSerializer(many=True, required=False, default=list)
    method = serializers.ChoiceField(choices=[SignatureEvidence.Method.PASSWORD, SignatureEvidence.Method.EMAIL_CODE],
                                     default=SignatureEvidence.Method.PASSWORD)
    password = serializers.CharField(required=False, allow_blank=True, default="", style={"input_type": "password"},
                                     trim_whitespace=False)
    code = serializers.CharField(required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(help_text=_("The signer agrees that this confirmation is their signature."))


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class ActEventSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField(read_only=True, help_text=STATES_HELP)
    to_state = serializers.CharField(read_only=True, help_text=STATES_HELP)

    class Meta:
        model = ActEvent
        fields = ["kind", "transition", "from_state", "to_state", "actor_label", "at", "note", "data"]
        read_only_fields = fields


class VerifyRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The PDF to check."))


class VerifyResultSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["genuine", "altered", "unknown"])
    genuine = serializers.BooleanField()
    sha256 = serializers.CharField()
    act_number = serializers.CharField(allow_null=True)
    provider = serializers.CharField(allow_null=True, help_text=_("The organisation that sealed the act."))
    client = serializers.CharField(allow_null=True)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    state = serializers.CharField(allow_null=True, help_text=STATES_HELP)
    signed_by = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    method = serializers.CharField(allow_null=True)
