"""Forms of the billing pages: they validate input; the services do the work."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.forms import ContractChoiceField
from contracts.models import Contract
from tenancy.bounds import validate_date_in_range
from tenancy.errors import DomainError
from tenancy.widgets import fast_selects

from .models import InvoiceState
from .services import PERIOD_FORMAT, month_bounds

PERIOD_WIDGET = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})


class PeriodField(forms.RegexField):
    """A month as YYYY-MM that exists (`2026-13` is an error on the field, not a failed page) and lies
    within the dates the product accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": PERIOD_FORMAT})  # not Django's "Enter a valid value."
        super().__init__(regex=r"^\d{4}-\d{2}$", widget=PERIOD_WIDGET, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            first, _last = month_bounds(value)
        except DomainError as error:
            raise forms.ValidationError(error.message, code="invalid") from None
        validate_date_in_range(first)


class PeriodFilterForm(forms.Form):
    period = PeriodField(label=_("Period"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any state")), *InvoiceState.choices])


class BuildForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), queryset=None)
    period = PeriodField(label=_("Period"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.order_by("number")
        fast_selects(self)  # hundreds of contracts (tenancy.widgets)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), required=False, widget=forms.TextInput)


class WaiveForm(forms.Form):
    breach = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount without VAT"), max_digits=14, decimal_places=2,
                                min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class RatingBandForm(forms.Form):
    """Parses the numbers; the rating band services check the ranges and duplicates."""

    min_rating = forms.DecimalField(label=_("Mean rating from"), decimal_places=2,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "min": "1", "max": "5"}))
    adjustment_pct = forms.DecimalField(label=_("Adjustment, %"), decimal_places=2,
                                        widget=forms.NumberInput(attrs={"step": "0.01", "min": "-100", "max": "100"}))
