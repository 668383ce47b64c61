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
from tenancy.widgets import ValuesChoiceIterator

from .models import (
    AmendmentState,
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


class ContractChoiceField(forms.ModelChoiceField):
    """A choice of the tenant's contracts, "number — title" (with "(client)" where `show_client`):
    its options read as values, not a model instance each (a tenant has hundreds of contracts).
    Pair it with `tenancy.widgets.fast_selects` in the form."""

    iterator = ValuesChoiceIterator
    show_client = False

    @property
    def label_values(self) -> tuple[str, ...]:
        return ("number", "title", "client__name") if self.show_client else ("number", "title")

    def label_from_instance(self, obj) -> str:
        label = f"{obj.number} — {obj.title}"
        return f"{label} ({obj.client.name})" if self.show_client else label

    def label_from_values(self, row) -> str:
        label = f"{row['number']} — {row['title']}"
        return f"{label} ({row['client__name']})" if self.show_client else label


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "legal_address": forms.Textarea(attrs={"rows": 2})}


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = PROVIDER_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "legal_address": forms.Textarea(attrs={"rows": 2})}


# Numbers of the contract form that take the contract's (or the model's) default when left empty.
DEFAULTED_FIELDS = ("review_lead_days", "renewal_term_months", "renewal_notice_days", "dispute_negotiation_days",
                    "dispute_mediation_days", "dispute_arbitration_days")


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
        for name in DEFAULTED_FIELDS:  # left empty: the contract's (or the model's) default
            if name in self.fields:
                self.fields[name].required = False
        if self.instance.pk is None:
            self.fields["provider"].initial = _providers().filter(is_own=True).first()
        elif not self.instance.terms_editable:
            # a signed contract changes its terms only by amendment
            for name, field in self.fields.items():
                if name not in CONTRACT_FIELDS_ALWAYS_EDITABLE:
                    field.disabled = True

    def clean(self):
        cleaned = super().clean()
        for name in DEFAULTED_FIELDS:
            if name in self.fields and cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = (getattr(self.instance, name) if self.instance.pk
                                 else Contract._meta.get_field(name).default)
        return cleaned

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



# --- amendments ---------------------------------------------------------------------------------


class AmendmentForm(forms.Form):
    """One optional field per core term (empty: unchanged) and a text per section that has a text
    form (prefilled with the current text; left as it is: unchanged)."""

    effective_date = forms.DateField(label=_("Takes effect on"), widget=DateInput(),
                                     validators=[validate_date_in_range])
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    monthly_fee = forms.DecimalField(label=_("New monthly fee"), required=False, min_value=0, max_digits=14,
                                     decimal_places=2)
    quality_share_pct = forms.DecimalField(label=_("New quality-linked share, %"), required=False, min_value=0,
                                           max_value=100, max_digits=5, decimal_places=2)
    penalty_cap_pct = forms.DecimalField(label=_("New penalty cap, %"), required=False, min_value=0, max_value=100,
                                         max_digits=5, decimal_places=2)
    acceptance_days = forms.IntegerField(label=_("New acceptance days"), required=False, min_value=1, max_value=90)
    end_date = forms.DateField(label=_("New end date"), required=False, widget=DateInput(),
                               validators=[validate_date_in_range])

    CORE = ("monthly_fee", "quality_share_pct", "penalty_cap_pct", "acceptance_days", "end_date")

    def __init__(self, *args, contract: Contract, **kwargs):
        from . import versions

        super().__init__(*args, **kwargs)
        self.contract = contract
        self.section_initial: dict[str, str] = {}
        for name, section in versions.sections().items():
            if section.to_text is None or section.from_text is None:
                continue
            text = section.to_text(section.snapshot(contract))
            self.section_initial[name] = text
            self.fields[f"section_{name}"] = forms.CharField(
                label=section.label, required=False, initial=text, strip=False,
                widget=forms.Textarea(attrs={"rows": max(3, min(12, text.count("\n") + 2))}),
                help_text=_("Leave it as it is to keep it."))
        for name in self.CORE:
            current = getattr(contract, name)
            self.fields[name].help_text = _("Now: %(value)s. Empty: unchanged.") % {
                "value": current if current is not None else _("open-ended")}

    def field_for(self, error_field: str | None) -> str | None:
        """The form field a service's error names (`changes.monthly_fee`, `changes.parties`, ...)."""
        if not error_field:
            return None
        name = error_field.removeprefix("changes.")
        for candidate in (name, f"section_{name}"):
            if candidate in self.fields:
                return candidate
        return None

    def changes(self) -> dict:
        """The changes to propose, from the cleaned data (DomainError from a section's text)."""
        from . import versions

        changes: dict = {}
        for name in self.CORE:
            value = self.cleaned_data.get(name)
            if value is not None:
                changes[name] = value.isoformat() if name == "end_date" else str(value)
        for name, initial in self.section_initial.items():
            text = self.cleaned_data.get(f"section_{name}") or ""
            if text.strip() == initial.strip():
                continue
            section = versions.sections()[name]
            value = section.from_text(self.contract, text)
            if value != section.snapshot(self.contract):
                changes[name] = value
        return changes


class AgreeForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    consent = forms.BooleanField(label=_("I have read the amendment and agree that this confirmation is my "
                                         "signature."))


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class AmendmentFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *AmendmentState.choices])
