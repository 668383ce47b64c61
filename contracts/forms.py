"""Forms of the contract pages. They validate input; the services in services.py do every write.

Choice fields of tenant-owned rows get their queryset in __init__, inside the request (the scoped
manager cannot be queried at import time, when no tenant is current).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.bounds import validate_date_in_range
from tenancy.forms import DateInput
from tenancy.roles import CLIENT_ROLES

from .models import (
    Client,
    Contract,
    ContractRoleKind,
    ContractState,
    PartyKind,
    Provider,
)
from .services import (
    CLIENT_FIELDS,
    CONTRACT_FIELDS_ALWAYS_EDITABLE,
    CONTRACT_TERMS,
    PROVIDER_FIELDS,
)


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = PROVIDER_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class ContractForm(forms.ModelForm):
    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    provider = forms.ModelChoiceField(
        label=_("Provider"), queryset=None, help_text=_("The provider that signs the contract with the client.")
    )

    class Meta:
        model = Contract
        fields = CONTRACT_TERMS
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name")
        self.fields["provider"].queryset = _providers()
        for name in ("start_date", "end_date"):
            if name in self.fields:
                self.fields[name].validators.append(validate_date_in_range)
        if "review_lead_days" in self.fields:  # left empty: the contract's default
            self.fields["review_lead_days"].required = False
        if self.instance.pk is None:
            self.fields["provider"].initial = _providers().filter(is_own=True).first()
        elif not self.instance.terms_editable:
            # a signed contract changes its terms only by amendment
            for name, field in self.fields.items():
                if name not in CONTRACT_FIELDS_ALWAYS_EDITABLE:
                    field.disabled = True

    def clean_review_lead_days(self):
        value = self.cleaned_data.get("review_lead_days")
        if value is None:
            return self.instance.review_lead_days if self.instance.pk else Contract._meta.get_field(
                "review_lead_days").default
        return value

    @property
    def locked(self) -> bool:
        return any(field.disabled for field in self.fields.values())


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.SearchInput(attrs={"placeholder": _("Number, title or client")}))
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *ContractState.choices])
    client = forms.ModelChoiceField(label=_("Client"), required=False, queryset=None, empty_label=_("All clients"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name")


class ClientFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.SearchInput(attrs={"placeholder": _("Name, legal name or tax ID")}))
    active = forms.TypedChoiceField(
        label=_("Status"), required=False, empty_value=None,
        coerce=lambda value: value == "yes",
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))],
    )


class TransitionForm(forms.Form):
    note = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ContractPartyForm(forms.Form):
    """Another provider joins a contract: a subcontractor, or a co-contractor."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(PartyKind.SUBCONTRACTOR.value, PartyKind.SUBCONTRACTOR.label),
                 (PartyKind.CONTRACTOR.value, PartyKind.CONTRACTOR.label)],
    )
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=None)
    representative = forms.CharField(label=_("Representative"), max_length=200, required=False,
                                     help_text=_("Who signs for the party, e.g. the general director."))
    basis = forms.CharField(label=_("Acting under"), max_length=200, required=False,
                            help_text=_("e.g. the charter, a power of attorney"))
    responsibilities = forms.CharField(label=_("Responsibilities"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "party")
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _providers()


class ContractRoleForm(forms.Form):
    """A cell of the responsibility matrix. Users come from the tenant's members only:
    the provider's staff, and the users of this contract's client."""

    role = forms.ChoiceField(label=_("Role"), choices=ContractRoleKind.choices)
    user = forms.ChoiceField(label=_("Person"))

    def __init__(self, *args, contract: Contract, members, **kwargs):
        kwargs.setdefault("prefix", "role")
        super().__init__(*args, **kwargs)
        self.members = {
            str(m.user_id): m for m in members
            if m.role not in CLIENT_ROLES or m.client_id == contract.client_id
        }
        staff = [(key, _label(m)) for key, m in self.members.items() if m.role not in CLIENT_ROLES]
        client_users = [(key, _label(m)) for key, m in self.members.items() if m.role in CLIENT_ROLES]
        self.fields["user"].choices = [
            ("", "---------"),
            (_("Provider staff"), staff),
            (_("Client: %(client)s") % {"client": contract.client.name}, client_users),
        ]

    def clean_user(self):
        return self.members[self.cleaned_data["user"]].user


def _providers():
    return Provider.objects.order_by("-is_own", "name")


def _label(membership) -> str:
    user = membership.user
    return f"{user.get_full_name() or user.get_username()} · {membership.get_role_display()}"

