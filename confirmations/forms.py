"""Forms of the act pages: assembling an act, its lines, signing with ratings, disputing, verifying."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contracts.forms import ContractChoiceField
from contracts.models import Contract, ContractState
from tenancy.bounds import validate_date_in_range
from tenancy.forms import DateInput
from tenancy.widgets import fast_selects

from .models import Act, SignatureEvidence
from .services import Basis


def _stars(n: int) -> str:
    return gettext("%(rating)s of 5") % {"rating": n}


# stars left to right, each an accessible "n of 5" (the page draws them as stars, see _stars.html)
STAR_CHOICES = [(str(n), lazy(_stars, str)(n)) for n in range(1, 6)]
RATING_CHOICES = [("", _("No rating")), *STAR_CHOICES]


class ActCreateForm(forms.Form):
    contract = ContractChoiceField(label=_("Contract"), queryset=Contract._base_manager.none())
    period_start = forms.DateField(label=_("Period from"), widget=DateInput(), validators=[validate_date_in_range])
    period_end = forms.DateField(label=_("Period to"), widget=DateInput(), validators=[validate_date_in_range])
    language = forms.ChoiceField(label=_("Language of the act"), choices=Act.Language.choices,
                                 initial=Act.Language.RU)
    basis = forms.ChoiceField(label=_("Lines from"), choices=Basis.CHOICES, initial=Basis.ORDERS,
                              help_text=_("You can edit the lines before sending."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(
            state__in=[ContractState.ACTIVE, ContractState.SUSPENDED, ContractState.TERMINATED,
                       ContractState.EXPIRED]).order_by("number")
        fast_selects(self)  # hundreds of contracts (tenancy.widgets)

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class ActLineForm(forms.Form):
    order = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("Work"), max_length=500)
    quantity = forms.DecimalField(label=_("Qty"), max_digits=12, decimal_places=3, min_value=0, initial=1)
    unit_price = forms.DecimalField(label=_("Price"), max_digits=14, decimal_places=2, min_value=0, initial=0)


ActLineFormSet = forms.formset_factory(ActLineForm, extra=1, can_delete=True)


class SignForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Overall rating"), choices=STAR_CHOICES, coerce=int,
                                    widget=forms.RadioSelect, help_text=_("5 is excellent, 1 is unacceptable."),
                                    error_messages={"required": _("Rate the work from 1 to 5.")})
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required with a rating of 2 or less."))
    method = forms.ChoiceField(label=_("Confirm with"), widget=forms.RadioSelect, initial=SignatureEvidence.Method.PASSWORD,
                               choices=[(SignatureEvidence.Method.PASSWORD, _("my password")),
                                        (SignatureEvidence.Method.EMAIL_CODE, _("a code sent to my email"))])
    password = forms.CharField(label=_("Your password"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    code = forms.CharField(label=_("Code from the email"), required=False, max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    consent = forms.BooleanField(label=_("I have read the act and agree that this confirmation is my signature."))

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        for order in self.orders:
            self.fields[f"order_{order.pk}_rating"] = forms.TypedChoiceField(
                label=f"{order.number} — {order.title}", choices=RATING_CHOICES, coerce=int, required=False,
                empty_value=None, widget=forms.RadioSelect, initial="")
            self.fields[f"order_{order.pk}_comment"] = forms.CharField(
                label=_("Comment on %(number)s") % {"number": order.number}, required=False,
                widget=forms.Textarea(attrs={"rows": 2}))

    def order_rating_fields(self):
        return [(self[f"order_{o.pk}_rating"], self[f"order_{o.pk}_comment"]) for o in self.orders]

    def order_ratings(self):
        from .services import OrderRatingInput

        return [OrderRatingInput(order=o, rating=self.cleaned_data[f"order_{o.pk}_rating"],
                                 comment=self.cleaned_data.get(f"order_{o.pk}_comment") or "")
                for o in self.orders if self.cleaned_data.get(f"order_{o.pk}_rating") is not None]

    def field_for(self, name: str) -> str | None:
        """The form field a service error names (`order_ratings.0.comment` → the order's comment)."""
        if name and name.startswith("order_ratings."):
            _prefix, index, part = name.split(".")
            rated = [o for o in self.orders if self.cleaned_data.get(f"order_{o.pk}_rating") is not None]
            if part in ("rating", "comment") and int(index) < len(rated):
                return f"order_{rated[int(index)].pk}_{part}"
        return name if name in self.fields else None


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with the act?"), widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("PDF of the act"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
                           error_messages={"empty": _("This file is not a PDF. Upload the PDF of the signed act, as "
                                                      "you received it.")})
