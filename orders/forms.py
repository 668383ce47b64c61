"""Forms of the order pages. They validate input; orders.services does every write.

Querysets of tenant-owned rows are set in __init__ (inside the request, where a tenant is current).
Date-times are typed in the organisation's time zone: each form parses them there.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.forms import ContractChoiceField
from contracts.models import Contract, ContractState
from sla.models import Priority
from tenancy.bounds import TEXT_MAX_LENGTH, validate_date_in_range
from tenancy.selectors import provider_staff
from tenancy.uploads import attachment_accept
from tenancy.widgets import ValuesChoiceIterator, fast_selects

from .models import Order, OrderState, Team
from .services import MAX_ATTACHMENTS_PER_ORDER


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker; it submits 2026-11-02T09:30."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LocalTimeForm(forms.Form):
    """A form whose date-times are read in `time_zone` (the tenant's), not the server's."""

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def full_clean(self):
        with timezone.override(self.time_zone):
            super().full_clean()




class StaffChoiceField(forms.ModelChoiceField):
    iterator = ValuesChoiceIterator
    label_values = ("first_name", "last_name", "username")

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()

    def label_from_values(self, row) -> str:
        return f"{row['first_name']} {row['last_name']}".strip() or row["username"]


def attachment_help() -> str:
    return _("An order holds up to %(count)d files of up to %(size)s each: PDF, images, text, log or CSV files, "
             "Excel or Word documents, ZIP archives, e-mails (.eml).") % {
        "count": MAX_ATTACHMENTS_PER_ORDER, "size": filesizeformat(settings.ORDER_ATTACHMENT_MAX_BYTES)}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen).

    Only presence is checked here: orders.services decides what is accepted (type, size, count).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": attachment_accept()}))
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


class OrderRaiseForm(LocalTimeForm):
    """What a client user fills in to raise an order or report an incident."""

    contract = ContractChoiceField(label=_("Contract"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=Order.Kind.choices, initial=Order.Kind.REQUEST)
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  max_length=TEXT_MAX_LENGTH,
                                  help_text=_("What happens, where, since when, who is affected."))
    expected_result = forms.CharField(label=_("Expected result"), required=False, max_length=TEXT_MAX_LENGTH,
                                      widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("What “done” looks like for you."))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    desired_deadline = forms.DateTimeField(label=_("Desired deadline"), required=False, widget=DateTimeLocalInput(),
                                        validators=[validate_date_in_range])
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, client_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_help()
        contracts = Contract.objects.select_related("client").order_by("number")
        if client_id is not None:
            contracts = contracts.filter(client_id=client_id)
        field = self.fields["contract"]
        field.show_client = client_id is None
        # Any contract of the tenant (or the client) validates, so that the service says clearly
        # why a contract that is not active takes no orders; only active ones are offered.
        field.queryset = contracts
        field.widget.choices = [("", "---------")] + [
            (c.pk, field.label_from_instance(c)) for c in contracts if c.state == ContractState.ACTIVE
        ]


class OrderRegisterForm(OrderRaiseForm):
    """Provider staff register an order on the client's behalf, with when it was really reported."""

    reported_at = forms.DateTimeField(
        label=_("Reported at"), required=False, widget=DateTimeLocalInput(), validators=[validate_date_in_range],
        help_text=_("When the client actually reported it (e.g. by phone); empty for now. The clocks start here."),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)

    field_order = ["contract", "kind", "title", "description", "expected_result", "priority", "desired_deadline",
                   "reported_at", "team", "attachments"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")


class OrderEditForm(LocalTimeForm):
    """A change of scope or deadline; it is kept in the history the client sees."""

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  max_length=TEXT_MAX_LENGTH)
    expected_result = forms.CharField(label=_("Expected result"), required=False, max_length=TEXT_MAX_LENGTH,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    desired_deadline = forms.DateTimeField(label=_("Desired deadline"), required=False, widget=DateTimeLocalInput(),
                                        validators=[validate_date_in_range])

    @classmethod
    def for_order(cls, order: Order, data=None, **kwargs):
        initial = {name: getattr(order, name) for name in cls.base_fields}
        return cls(data, initial=initial, **kwargs)


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("No team"))
    assignee = StaffChoiceField(label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["assignee"].queryset = provider_staff()


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal (hidden from the client)"), required=False)

    def __init__(self, *args, client_view: bool = False, **kwargs):
        kwargs.setdefault("prefix", "comment")
        super().__init__(*args, **kwargs)
        if client_view:
            del self.fields["internal"]


class AttachmentForm(forms.Form):
    """One file for an order; provider staff may keep it internal."""

    file = forms.FileField(label=_("File"), allow_empty_file=True,
                           widget=forms.FileInput(attrs={"accept": attachment_accept()}))
    internal = forms.BooleanField(label=_("Internal (hidden from the client)"), required=False)

    def __init__(self, *args, client_view: bool = False, **kwargs):
        kwargs.setdefault("prefix", "attachment")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = attachment_help()
        if client_view:
            del self.fields["internal"]


class TransitionForm(forms.Form):
    note = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


SORTS = [
    ("due", _("Due soonest")),
    ("-due", _("Due latest first")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.SearchInput(attrs={"placeholder": _("Number or title")}))
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), ("open", _("Open")), *OrderState.choices])
    contract = ContractChoiceField(label=_("Contract"), required=False, queryset=None, empty_label=_("All contracts"))
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=None, empty_label=_("All teams"))
    assignee = StaffChoiceField(label=_("Assignee"), required=False, queryset=None, empty_label=_("Anyone"))
    breached = forms.TypedChoiceField(
        label=_("SLA"), required=False, empty_value=None, coerce=lambda value: value == "yes",
        choices=[("", _("All")), ("yes", _("Breached")), ("no", _("Not breached"))],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args, client_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        contracts = Contract.objects.select_related("client").order_by("number")
        if client_id is not None:
            contracts = contracts.filter(client_id=client_id)
            del self.fields["team"], self.fields["assignee"]
        else:
            self.fields["team"].queryset = Team.objects.order_by("name")
            self.fields["assignee"].queryset = provider_staff()
        self.fields["contract"].queryset = contracts
        self.fields["contract"].show_client = client_id is None
        fast_selects(self)  # hundreds of contracts: options written in Python (tenancy.widgets)


def _provider_transition_choices() -> list[tuple[str, str]]:
    """The steps provider staff may take, in the state machine's order, with their button labels."""
    from .services import TRANSITIONS

    labels: dict[str, str] = {}
    for transition in Order._meta.get_field("state").get_all_transitions(Order):
        if transition.custom.get("side") in ("provider", "any"):
            labels.setdefault(transition.name, transition.custom.get("label", transition.name))
    return [(name, labels[name]) for name in TRANSITIONS if name in labels]


class BulkActionForm(forms.Form):
    """Several orders of the list at once: assign them, or move each one a step along."""

    ASSIGN, TRANSITION = "assign", "transition"

    orders = forms.ModelMultipleChoiceField(label=_("Orders"), queryset=None,
                                            error_messages={"required": _("Tick at least one order.")})
    action = forms.ChoiceField(label=_("Action"), choices=[(ASSIGN, _("Assign to")), (TRANSITION, _("Move along"))])
    assignee = StaffChoiceField(label=_("Assign to"), queryset=None, required=False, empty_label=_("Nobody"))
    transition = forms.ChoiceField(label=_("Step"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT_MAX_LENGTH,
                           help_text=_("Needed for steps that ask for a reason (wait for the client, cancel)."))

    def __init__(self, *args, orders=None, **kwargs):
        kwargs.setdefault("prefix", "bulk")
        super().__init__(*args, **kwargs)
        self.fields["orders"].queryset = orders if orders is not None else Order.objects.all()
        self.fields["assignee"].queryset = provider_staff()
        self.fields["transition"].choices = [("", _("Choose a step")), *_provider_transition_choices()]
        fast_selects(self)

    def clean_orders(self):
        from .services import BULK_LIMIT

        orders = self.cleaned_data["orders"]
        if len(orders) > BULK_LIMIT:
            raise forms.ValidationError(_("At most %(limit)s orders at once.") % {"limit": BULK_LIMIT})
        return orders

    def clean(self):
        data = super().clean()
        if data.get("action") == self.TRANSITION and not data.get("transition"):
            self.add_error("transition", _("Choose a step."))
        return data
