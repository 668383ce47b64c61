"""Forms of the people pages: a member's role, an invitation, accepting one, one's own profile."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from .roles import CLIENT_ROLES, Role
from .selectors import tenant_clients


class RoleAndClientForm(forms.Form):
    """A role, and the client for a client role (the tenant's own clients only)."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=None, required=False, empty_label=_("— none (provider role) —"),
        help_text=_("Only for client roles: the client company this person works for."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = tenant_clients()

    def clean(self):
        cleaned = super().clean()
        role, client = cleaned.get("role"), cleaned.get("client")
        if role in CLIENT_ROLES and client is None and "client" not in self.errors:
            self.add_error("client", _("Choose the client this person works for."))
        elif role and role not in CLIENT_ROLES and client is not None:
            self.add_error("client", _("A provider role has no client: leave the client empty."))
        return cleaned


class MemberForm(RoleAndClientForm):
    pass


class InvitationForm(RoleAndClientForm):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=settings.LANGUAGES)

    field_order = ["email", "first_name", "last_name", "role", "client", "language"]


class AcceptInvitationForm(forms.Form):
    """A new person's password, checked by the site's password validators."""

    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            # judged against the account it will be (its name and address may not be the password)
            future = get_user_model()(username=self.invitation.email, email=self.invitation.email,
                                      first_name=self.invitation.first_name, last_name=self.invitation.last_name)
            try:
                password_validation.validate_password(first, future)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def time_zone_choices():
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones()) if "/" in zone or zone == "UTC"]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 help_text=_("Pages and e-mails in this language."))
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False,
                                  help_text=_("Times on pages are shown in this zone."))

    def __init__(self, *args, organisation_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The browser's choice")), *settings.LANGUAGES]
        if organisation_zone:
            empty = _("The organisation's (%(zone)s)") % {"zone": organisation_zone}
        else:
            empty = _("The organisation's")
        self.fields["time_zone"].choices = [("", empty), *time_zone_choices()]
