"""The export form: a month or a date range, and the format."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.services import month_bounds, previous_month
from tenancy.audit_export import period_errors
from tenancy.errors import DomainError
from tenancy.forms import DateInput

from .export import Period

FORMAT_CHOICES = [("xml", _("1C:Enterprise (EnterpriseData XML)")), ("json", "JSON")]


class AccountingExportForm(forms.Form):
    """`from` and `to` (both days included), or `period` (YYYY-MM) for a whole month; `format`."""

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = previous_month(tenant.today())
        self.fields = {
            "period": forms.CharField(
                label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
                help_text=_("A whole month; or leave it empty and give the dates.")),
            "from": forms.DateField(label=_("From"), required=False, widget=DateInput(), initial=start),
            "to": forms.DateField(label=_("To"), required=False, widget=DateInput(), initial=end,
                                  help_text=_("Invoices and credit notes issued on these days, both included.")),
            "format": forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="xml"),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period"):
            try:
                cleaned["from"], cleaned["to"] = month_bounds(cleaned["period"])
            except DomainError as error:
                self.add_error("period", error.message)
                return cleaned
        for name in ("from", "to"):
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, _("Give a date, or a month above."))
        for field, message in period_errors(cleaned.get("from"), cleaned.get("to")).items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned

    def period(self) -> Period:
        return Period(date_from=self.cleaned_data["from"], date_to=self.cleaned_data["to"])
