from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .catalog import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=services.URL_MAX,
                          help_text=_("https:// only; a public address that does not redirect."))
    description = forms.CharField(label=_("Description"), max_length=services.DESCRIPTION_MAX, required=False)
    event_types = forms.MultipleChoiceField(label=_("Event types"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, client_id: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = services.allowed_event_types(client_id)
        self.fields["event_types"].choices = [(value, label) for value, label in EventType.choices if value in allowed]


class EndpointEditForm(EndpointForm):
    is_active = forms.BooleanField(label=_("Active"), required=False,
                                   help_text=_("Enabling it again clears its failure count."))


class RotateForm(forms.Form):
    overlap_hours = forms.IntegerField(label=_("Old secret stays valid for, hours"), min_value=0,
                                       max_value=services.MAX_OVERLAP_HOURS, initial=services.DEFAULT_OVERLAP_HOURS)
