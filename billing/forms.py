"""Forms of the billing pages: they validate input; the services do the work."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.forms import ContractChoiceField
from contracts.models import Contract
from tenancy.widgets import fast_selects

from .models import InvoiceState

PERIOD_WIDGET = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})


class PeriodFilterForm(forms.Form):
    period = forms.RegexField(label=_("Period"), regex=r"^\d{4}-\d{2}$", required=False, widget=PERIOD_WIDGET)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any state")), *InvoiceState.choices])


class BuildForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), queryset=None)
    period = forms.RegexField(label=_("Period"), regex=r"^\d{4}-\d{2}$", widget=PERIOD_WIDGET)

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
