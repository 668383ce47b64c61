"""Forms of the dispute pages. Choices are the current tenant's rows (for a client user, their
client's); the services check the rest and their refusals land on the field they name."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceLine, InvoiceState
from confirmations.models import Act, ActState
from contracts.forms import ContractChoiceField
from contracts.models import Contract
from tenancy.api_input import guard_numeric_filters
from tenancy.bounds import TEXT_MAX_LENGTH, validate_date_in_range
from tenancy.forms import DateInput
from tenancy.uploads import attachment_accept
from tenancy.widgets import fast_selects

from .models import DisputeKind
from .services import DISPUTABLE_CONTRACT_STATES, MAX_AMOUNT, TITLE_MAX

AMOUNT = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0"), "max_value": MAX_AMOUNT}


class InvoiceLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, line):
        return f"{line.invoice.number} · {line.position}. {line.describe()} ({line.amount})"


class ActChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, act):
        return f"{act.number} · {act.contract.number} · {act.get_state_display()}"


class DisputeOpenForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), queryset=None)
    kind = forms.ChoiceField(label=_("About"), choices=DisputeKind.choices)
    act = ActChoiceField(label=_("Act"), queryset=None, required=False,
                         help_text=_("Only for a dispute about an act."))
    invoice_line = InvoiceLineChoiceField(label=_("Invoice line"), queryset=None, required=False,
                                          help_text=_("Only for a dispute about an invoice line."))
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(label=_("What is wrong"), required=False, max_length=TEXT_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    claimed_amount = forms.DecimalField(label=_("Claimed amount, without VAT"), required=False, **AMOUNT)
    stage_deadline = forms.DateField(label=_("Negotiation deadline"), required=False, widget=DateInput(),
                                     validators=[validate_date_in_range],
                                     help_text=_("Leave empty for the contract's negotiation days."))

    def __init__(self, *args, client_id: int | None = None, invoice_id: int | None = None, **kwargs):
        """Unbound, the act and invoice line selects offer the newest 200 of the tenant (a client
        user: their client's), or, when the page was opened for a contract (`initial`, from `?contract=`
        or `?act=`), that contract's: an act of years ago can be disputed from its own page."""
        super().__init__(*args, **kwargs)
        contracts = Contract.objects.filter(state__in=DISPUTABLE_CONTRACT_STATES).order_by("number")
        acts = Act.objects.exclude(state=ActState.DRAFT).select_related("contract").order_by("-period_start", "-id")
        lines = (InvoiceLine.objects.filter(invoice__state__in=[InvoiceState.ISSUED, InvoiceState.PAID])
                 .select_related("invoice").order_by("-invoice__issued_at", "invoice_id", "position"))
        if client_id is not None:
            contracts = contracts.filter(client_id=client_id)
            acts = acts.filter(client_id=client_id)
            lines = lines.filter(invoice__client_id=client_id)
        if invoice_id is not None:
            lines = lines.filter(invoice_id=invoice_id)
        self.fields["contract"].queryset = contracts
        if not self.is_bound:
            contract_id = self.initial.get("contract")
            if contract_id is not None:
                acts = acts.filter(contract_id=contract_id)
                lines = lines.filter(invoice__contract_id=contract_id)
            acts, lines = acts[:200], lines[:200]
        self.fields["act"].queryset = acts
        self.fields["invoice_line"].queryset = lines
        guard_numeric_filters(self)
        fast_selects(self)  # contracts, acts and invoice lines by the hundred (tenancy.widgets)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    compensation = forms.DecimalField(label=_("Compensation, without VAT"), initial=Decimal("0.00"), **AMOUNT,
                                      help_text=_("0 for none. Credited on the contract's next issued invoice."))
    note = forms.CharField(label=_("What the parties agreed"), max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}))


class DeadlineForm(forms.Form):
    stage_deadline = forms.DateField(label=_("New deadline"), widget=DateInput(), validators=[validate_date_in_range])
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT_MAX_LENGTH)


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Document"), widget=forms.FileInput(attrs={"accept": attachment_accept()}))


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))
