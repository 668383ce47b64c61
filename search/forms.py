from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SavedView


class SavedViewForm(forms.Form):
    list_name = forms.ChoiceField(label=_("List"), choices=SavedView.List.choices, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=80, error_messages={"required": _("Give the view a name.")})
    query = forms.CharField(label=_("Filters"), required=False, max_length=10_000, widget=forms.HiddenInput)
