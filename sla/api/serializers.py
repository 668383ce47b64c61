"""Serializers of the SLA API: breaches, business calendars, SLA policies, force majeure.

They validate the shape of the input and render output; the services check the rules (a
calendar needs working hours, intervals must not overlap, targets are longer than zero …) and
name the field at fault. Nothing is saved through a serializer.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import Contract
from tenancy.api_base import ApiModelSerializer, DateField, TenantRelatedField

from ..models import Breach, BusinessCalendar, ForceMajeure, SLAPolicy


def _contracts():
    return Contract.objects.all()


def _calendars():
    return BusinessCalendar.objects.all()


def _label(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


class BreachSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    order_title = serializers.CharField(source="order.title", read_only=True)
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    client = serializers.IntegerField(source="contract.client_id", read_only=True)
    client_name = serializers.CharField(source="contract.client.name", read_only=True)
    provider_name = serializers.SerializerMethodField()
    waived = serializers.SerializerMethodField()

    class Meta:
        model = Breach
        fields = [
            "id", "metric", "order", "order_number", "order_title", "contract", "contract_number", "client",
            "client_name", "provider", "provider_name", "due_at", "breached_at", "penalty", "waived",
            "waived_at", "waived_reason",
        ]
        read_only_fields = fields

    def get_provider_name(self, breach) -> str:
        return breach.provider.name if breach.provider_id else ""

    def get_waived(self, breach) -> bool:
        return breach.waived_at is not None

    # the list's rows (tenancy.api_rows): the method fields above, from the page's columns
    ROW_FIELDS = {"provider_name": ("provider__name",), "waived": ("waived_at",)}

    @staticmethod
    def row_fields(context) -> dict:
        return {"provider_name": lambda row: row["provider__name"] or "",
                "waived": lambda row: row["waived_at"] is not None}


_INTERVAL = serializers.ListField(child=serializers.CharField(max_length=5), min_length=2, max_length=2)


class BusinessCalendarSerializer(ApiModelSerializer):
    working_hours = serializers.DictField(
        child=serializers.ListField(child=_INTERVAL, allow_empty=True), required=False,
        help_text=_('Per weekday ("0" = Monday … "6" = Sunday) a list of [start, end] local times, in order '
                    'and not overlapping, e.g. {"0": [["09:00", "13:00"], ["14:00", "18:00"]]}; "24:00" ends '
                    "a day. Required unless `always_on`."),
    )
    extra_days_off = serializers.ListField(child=DateField(), required=False, max_length=1000,
                                           help_text=_("Local dates off besides the public holidays."))

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "always_on", "working_hours", "holiday_country", "extra_days_off",
                  "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "time_zone": {"validators": [], "help_text": _("An IANA time zone, e.g. Europe/Moscow.")},
            "name": {"validators": []},
            "holiday_country": {"help_text": _("ISO 3166 country code whose public holidays are days off, e.g. RU; "
                                               "empty for none.")},
        }
        validators = []  # the name is unique per tenant: the service checks it, with the rest


class SLAPolicySerializer(serializers.ModelSerializer):
    contract = TenantRelatedField(scope=_contracts)
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    calendar = TenantRelatedField(scope=_calendars, required=False, allow_null=True,
                                  help_text=_("A business calendar; null for 24×7."))
    calendar_name = serializers.SerializerMethodField()

    class Meta:
        model = SLAPolicy
        fields = ["id", "contract", "contract_number", "priority", "response_target", "resolution_target",
                  "calendar", "calendar_name", "warning_threshold_pct", "penalty_per_breach"]
        extra_kwargs = {
            "response_target": {"validators": [], "help_text": _("Business time, e.g. 24:00:00 or P1D; default 24 h.")},
            "resolution_target": {"validators": [], "help_text": _("Business time, e.g. 2 00:00:00 or P2D; default 48 h.")},
            "warning_threshold_pct": {"validators": []},
            "penalty_per_breach": {"validators": []},
        }
        validators = []  # one policy per contract and priority: the service checks it

    def get_calendar_name(self, policy) -> str:
        return policy.calendar.name if policy.calendar_id else ""


class SLAPolicyUpdateSerializer(SLAPolicySerializer):
    """The contract and the priority of a policy stay; create another policy for another one."""

    contract = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(SLAPolicySerializer.Meta):
        read_only_fields = ["priority"]


class ForceMajeureSerializer(ApiModelSerializer):
    contract = TenantRelatedField(scope=_contracts)
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    started_by_name = serializers.SerializerMethodField()
    lifted_by_name = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ForceMajeure
        fields = ["id", "contract", "contract_number", "reason", "active", "started_at", "started_by",
                  "started_by_name", "lifted_at", "lifted_by", "lifted_by_name", "lift_note"]
        read_only_fields = ["started_at", "started_by", "lifted_at", "lifted_by", "lift_note"]
        extra_kwargs = {"reason": {"max_length": 4000}}
        validators = []  # one open period per contract: the database's constraint, through the service

    def get_started_by_name(self, period) -> str:
        return _label(period.started_by)

    def get_lifted_by_name(self, period) -> str:
        return _label(period.lifted_by)


class ForceMajeureLiftSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
