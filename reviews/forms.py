"""Forms of the review pages: plain input; every rule is the services'."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.forms import ContractChoiceField
from contracts.models import Contract, ContractState
from tenancy.forms import DateInput
from tenancy.models import Membership
from tenancy.widgets import fast_selects

from .models import ReviewKind, ReviewState


class ReviewFilterForm(forms.Form):
    """The reviews list's filters; a client user's list has no contract filter (their client's few)."""

    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *ReviewState.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *ReviewKind.choices])
    contract = ContractChoiceField(label=_("Contract"), required=False, queryset=Contract._base_manager.none(),
                                   empty_label=_("All contracts"))
    open_items = forms.BooleanField(label=_("With open action items"), required=False)

    def __init__(self, *args, portal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if portal:
            del self.fields["contract"]
        else:
            self.fields["contract"].queryset = Contract.objects.order_by("number")
            fast_selects(self)  # hundreds of contracts (tenancy.widgets)

    def filters(self) -> dict:
        """The valid filters as `selectors.review_list` takes them; a bad value filters nothing."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        contract = data.get("contract")
        return {"state": data["state"], "kind": data["kind"], "open_items": data["open_items"],
                "contract_id": contract.pk if contract is not None else None}


class ActionItemFilterForm(forms.Form):
    """The action items register's filters: which items, whose, of which contract (the portal: which
    items only)."""

    show = forms.ChoiceField(label=_("Show"), required=False, choices=[
        ("open", pgettext_lazy("action items shown", "Open")), ("overdue", pgettext_lazy("action items shown", "Overdue")),
        ("done", pgettext_lazy("action items shown", "Done")), ("dropped", pgettext_lazy("action items shown", "Dropped")),
        ("all", pgettext_lazy("action items shown", "All"))])
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=get_user_model().objects.none(),
                                   empty_label=_("Anyone"))
    contract = ContractChoiceField(label=_("Contract"), required=False, queryset=Contract._base_manager.none(),
                                   empty_label=_("All contracts"))

    def __init__(self, *args, portal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if portal:
            del self.fields["owner"], self.fields["contract"]
            return
        # the people who may own an item: provider staff and every client's users, by name
        self.fields["owner"].queryset = get_user_model().objects.filter(
            pk__in=Membership.objects.filter(is_active=True).values("user_id")).order_by("first_name", "last_name",
                                                                                        "username")
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.fields["contract"].queryset = Contract.objects.order_by("number")
        fast_selects(self)  # hundreds of contracts (tenancy.widgets)

    def filters(self) -> dict:
        """The valid filters as `selectors.action_item_list` takes them; a bad value filters nothing."""
        if not self.is_bound or not self.is_valid():
            return {"show": "open"}
        data = self.cleaned_data
        owner, contract = data.get("owner"), data.get("contract")
        return {"show": data["show"] or "open", "owner_id": owner.pk if owner is not None else None,
                "contract_id": contract.pk if contract is not None else None}


class ReviewCreateForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), queryset=Contract._base_manager.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewKind.choices)
    period_start = forms.DateField(label=_("Period start"), widget=DateInput())
    period_end = forms.DateField(label=_("Period end"), widget=DateInput())
    proposed_meeting_date = forms.DateField(label=_("Proposed meeting date"), widget=DateInput(), required=False,
                                            help_text=_("Empty: the contract's lead time from today."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(state=ContractState.ACTIVE).order_by("number")
        fast_selects(self)  # hundreds of contracts (tenancy.widgets)


class HoldForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    provider_attendees = forms.CharField(label=_("Attendees of the provider"), widget=forms.Textarea(attrs={"rows": 2}))
    client_attendees = forms.CharField(label=_("Attendees of the client"), widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


def owner_choices(client_id: int):
    """Provider staff and the users of the review's client: who may own an action item."""
    members = (Membership.objects.filter(is_active=True).select_related("user").order_by("user__username"))
    return get_user_model().objects.filter(
        pk__in=[m.user_id for m in members if m.client_id in (None, client_id)]).order_by("username")


class ActionItemForm(forms.Form):
    what = forms.CharField(label=_("What"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(), required=False)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput(), required=False)
    evidence_note = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)

    def __init__(self, *args, client_id: int, owners=None, **kwargs):
        """`owners`: `owner_choices(client_id)` loaded once, for a page that shows a form per item
        (each form would otherwise query the choices again)."""
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        if owners is None:
            field.queryset = owner_choices(client_id)
        else:
            field.queryset = get_user_model().objects.filter(pk__in=[user.pk for user in owners]).order_by("username")
            field.choices = [("", field.empty_label), *((user.pk, field.label_from_instance(user)) for user in owners)]


class ItemTransitionForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ConfirmForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)
    consent = forms.BooleanField(label=_("I agree that this confirmation is my signature."), required=False)
