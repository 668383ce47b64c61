"""Forms of the tenancy pages, and the one way a service's DomainError reaches a form."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .errors import ActionForbidden, DomainError
from .legal import LEGAL_FIELDS
from .models import ApiKey, Tenant


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show what a service refused on the form field it names (or above the form).

    ActionForbidden is not a form problem: it becomes a 403.
    """
    if isinstance(error, ActionForbidden):
        raise PermissionDenied(str(error.message))
    field_errors = getattr(error, "field_errors", None) or {error.field: error.messages}
    for field, messages in field_errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, str(message))


class DateInput(forms.DateInput):
    """The browser's date picker; it always submits ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TenantSwitchForm(forms.Form):
    tenant = forms.TypedChoiceField(label=_("Organisation"), coerce=int)

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].choices = [(m.tenant_id, m.tenant.name) for m in memberships]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("Name it after the system that will use it, e.g. “1C accounting”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
        help_text=_("Read lists and reads records; write also creates and changes them."),
    )
    expires_at = forms.DateField(
        label=_("Expires on"), required=False, widget=DateInput(),
        help_text=_("Optional. The key stops working at the end of this day."),
    )

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def clean_expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        # the end of that day in the organisation's time zone
        return datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=ZoneInfo(self.time_zone)
        )


class TenantLegalDetailsForm(forms.ModelForm):
    """The tenant's legal details, each validated and checked against the others (`LegalDetails.clean`)."""

    class Meta:
        model = Tenant
        fields = ("legal_name", *LEGAL_FIELDS)
        widgets = {"legal_address": forms.Textarea(attrs={"rows": 2})}
