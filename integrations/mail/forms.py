"""Forms of the incoming-mail review."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, ContractState
from tenancy.widgets import fast_selects


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.client.name} — {obj.number} {obj.title}"


class ConvertForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), queryset=Contract._base_manager.none(),
                                   help_text=_("An active contract of the client the order is for."))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = (Contract.objects.filter(state=ContractState.ACTIVE)
                                            .select_related("client").order_by("client__name", "number"))
        fast_selects(self)  # every active contract (tenancy.widgets)


class DiscardForm(forms.Form):
    note = forms.CharField(label=_("Why discard it"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
