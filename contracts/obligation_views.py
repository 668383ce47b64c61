"""Browser pages of obligations: a contract's obligations, the overdue (and upcoming) list, an
occurrence marked done with its evidence, and templates applied to many contracts at once.

Thin like the other views: reads through `contracts.obligations` selectors (another tenant's id is
a 404), writes through its services, a refusal shown on the field it names. Changes are POSTs.
"""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from tenancy.decorators import provider_page
from tenancy.errors import ActionForbidden, DomainError
from tenancy.forms import DateInput, add_domain_error
from tenancy.roles import CONTRACT_MANAGERS
from tenancy.selectors import provider_staff

from . import obligations as service
from . import selectors
from .models import Contract, ObligationRule, OccurrenceState

PER_PAGE = 25
manager_page = provider_page(roles=CONTRACT_MANAGERS)


# --- forms ------------------------------------------------------------------------------------


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class RuleFields(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rule = forms.ChoiceField(label=gettext_lazy("Falls due"), choices=ObligationRule.choices)
    day = forms.IntegerField(label=gettext_lazy("Day of the month"), required=False, min_value=1, max_value=31,
                             help_text=gettext_lazy("Monthly, quarterly and yearly rules. 29–31 fall on a shorter month's last day."))
    month = forms.TypedChoiceField(label=gettext_lazy("Month"), required=False, coerce=int, empty_value=None,
                                   choices=[("", "—"), *MONTHS.items()],
                                   help_text=gettext_lazy("Yearly rules only."))
    business_days = forms.IntegerField(label=gettext_lazy("Business day"), required=False, min_value=1, max_value=20,
                                       help_text=gettext_lazy("For “business days after the month ends”: 3 is the 3rd business day."))
    reminder_days = forms.IntegerField(label=gettext_lazy("Remind days before"), min_value=0, max_value=60, initial=3)


class ObligationForm(RuleFields):
    owner = UserChoiceField(label=gettext_lazy("Owner"), queryset=None)
    starts_on = forms.DateField(label=gettext_lazy("First due on or after"), required=False, widget=DateInput(),
                                help_text=gettext_lazy("Empty: from today (or the contract's start)."))
    field_order = ["title", "owner", "rule", "day", "month", "business_days", "reminder_days", "starts_on",
                   "description"]

    def __init__(self, *args, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = provider_staff()
        if edit:
            self.fields["is_active"] = forms.BooleanField(
                label=gettext_lazy("Active"), required=False,
                help_text=gettext_lazy("Unticked: no new occurrences; pending ones from today on are removed."))


class TemplateForm(RuleFields):
    pass


class ContractsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.number} — {obj.title} ({obj.client.name})"


class ApplyTemplateForm(forms.Form):
    contracts = ContractsField(label=gettext_lazy("Contracts"), queryset=None, widget=forms.CheckboxSelectMultiple)
    owner = UserChoiceField(label=gettext_lazy("Owner"), queryset=None, required=False,
                            help_text=gettext_lazy("Empty: each contract's account manager."))
    starts_on = forms.DateField(label=gettext_lazy("First due on or after"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contracts"].queryset = (
            Contract.objects.filter(state__in=service.OPEN_FOR_OBLIGATIONS).select_related("client").order_by("number"))
        self.fields["owner"].queryset = provider_staff()


class CompleteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("What was done"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=gettext_lazy("Evidence file"), required=False)


# --- helpers ----------------------------------------------------------------------------------


def _get_or_404(selector, **lookup):
    try:
        return selector(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _is_manager(request) -> bool:
    return request.membership.role in CONTRACT_MANAGERS


def _with_schedule(rows) -> list:
    """The rows, each with its rule in words (`schedule`)."""
    rows = list(rows)
    for row in rows:
        row.schedule = service.schedule_label(row)
    return rows


def _contract_obligations_url(contract_id: int) -> str:
    return reverse("contracts:contract-obligations", args=[contract_id])


# --- a contract's obligations -----------------------------------------------------------------


@provider_page
def contract_obligations(request, pk: int):
    """The contract's obligations with their open occurrences; managers add new ones here."""
    contract = _get_or_404(selectors.contract_get, contract_id=pk)
    form = None
    if _is_manager(request):
        form = ObligationForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                service.obligation_create(contract=contract, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Obligation added."))
                return redirect(_contract_obligations_url(contract.pk))
    elif request.method == "POST":
        raise PermissionDenied
    occurrences = service.occurrence_list(contract_id=contract.pk)
    return render(request, "contracts/obligations/contract_obligations.html", {
        "contract": contract,
        "obligations": _with_schedule(service.obligation_list(contract_id=contract.pk)),
        "open_occurrences": occurrences.filter(state__in=[OccurrenceState.PENDING, OccurrenceState.OVERDUE]),
        "done_occurrences": occurrences.filter(state__in=[OccurrenceState.DONE, OccurrenceState.DONE_LATE])
        .order_by("-due_date", "-id")[:12],
        "form": form,
        "can_manage": _is_manager(request),
    }, status=400 if form is not None and form.is_bound and form.errors else 200)


@manager_page
def obligation_edit(request, pk: int):
    obligation = _get_or_404(service.obligation_get, obligation_id=pk)
    initial = {name: getattr(obligation, name) for name in service.OBLIGATION_FIELDS}
    form = ObligationForm(request.POST if request.method == "POST" else None, initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            service.obligation_update(obligation=obligation, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Obligation saved."))
            return redirect(_contract_obligations_url(obligation.contract_id))
    return render(request, "contracts/obligations/obligation_form.html",
                  {"form": form, "obligation": obligation, "contract": obligation.contract},
                  status=400 if form.is_bound and form.errors else 200)


# --- occurrences ------------------------------------------------------------------------------

FILTERS = (
    ("overdue", gettext_lazy("Overdue")),
    ("open", gettext_lazy("Due")),
    ("mine", gettext_lazy("Mine")),
    ("done", gettext_lazy("Done")),
)


@provider_page
def occurrence_list(request):
    """Overdue obligations across contracts (the default), what is due, one's own, what is done."""
    show = request.GET.get("show", "overdue")
    if show not in dict(FILTERS):
        show = "overdue"
    open_states = [OccurrenceState.PENDING, OccurrenceState.OVERDUE]
    queryset = {
        "overdue": lambda: service.occurrence_list(state=OccurrenceState.OVERDUE),
        "open": lambda: service.occurrence_list(state=open_states),
        "mine": lambda: service.occurrence_list(state=open_states, owner_id=request.user.pk),
        "done": lambda: service.occurrence_list(state=[OccurrenceState.DONE, OccurrenceState.DONE_LATE])
        .order_by("-done_at", "-id"),
    }[show]()
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "contracts/obligations/occurrence_list.html",
                  {"page": page, "show": show, "filters": FILTERS})


def _occurrence_page(request, occurrence, *, form=None, status: int = 200):
    may_complete = occurrence.is_open and service.may_complete(request.user, occurrence)
    return render(request, "contracts/obligations/occurrence_detail.html", {
        "occurrence": occurrence,
        "obligation": occurrence.obligation,
        "contract": occurrence.obligation.contract,
        "form": (form or CompleteForm()) if may_complete else None,
    }, status=status)


@provider_page
def occurrence_detail(request, pk: int):
    return _occurrence_page(request, _get_or_404(service.occurrence_get, occurrence_id=pk))


@provider_page
@require_POST
def occurrence_complete(request, pk: int):
    occurrence = _get_or_404(service.occurrence_get, occurrence_id=pk)
    form = CompleteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            service.obligation_occurrence_complete(occurrence=occurrence, actor=request.user,
                                                   note=form.cleaned_data["note"], upload=form.cleaned_data["file"])
        except ActionForbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Marked done."))
            return redirect("contracts:obligation-occurrence", pk=occurrence.pk)
    return _occurrence_page(request, occurrence, form=form, status=400)


@provider_page
def occurrence_evidence(request, pk: int):
    """The evidence file, as a download under its original name (served like order attachments)."""
    from tenancy.uploads import attachment_response

    occurrence = _get_or_404(service.occurrence_get, occurrence_id=pk)
    if not occurrence.evidence_file:
        raise Http404
    return attachment_response(SimpleNamespace(file=occurrence.evidence_file, original_name=occurrence.evidence_name,
                                               content_type=occurrence.evidence_content_type))


# --- templates --------------------------------------------------------------------------------


@provider_page
def template_list(request):
    form = None
    if _is_manager(request):
        form = TemplateForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                template = service.obligation_template_create(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Template “%(title)s” created.") % {"title": template.title})
                return redirect("contracts:obligation-template-apply", pk=template.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "contracts/obligations/template_list.html", {
        "templates": _with_schedule(service.obligation_template_list()), "form": form,
    }, status=400 if form is not None and form.is_bound and form.errors else 200)


@manager_page
def template_edit(request, pk: int):
    template = _get_or_404(service.obligation_template_get, template_id=pk)
    initial = {name: getattr(template, name) for name in service.TEMPLATE_FIELDS}
    form = TemplateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.obligation_template_update(template=template, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Template saved."))
            return redirect("contracts:obligation-templates")
    return render(request, "contracts/obligations/template_form.html", {"form": form, "template": template},
                  status=400 if form.is_bound and form.errors else 200)


@manager_page
def template_apply(request, pk: int):
    template = _get_or_404(service.obligation_template_get, template_id=pk)
    form = ApplyTemplateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["contracts"])
        try:
            created = service.obligation_template_apply(template=template, contracts=chosen, actor=request.user,
                                                        owner=form.cleaned_data["owner"],
                                                        starts_on=form.cleaned_data["starts_on"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            skipped = len(chosen) - len(created)
            messages.success(request, ngettext("Applied to %(count)d contract.", "Applied to %(count)d contracts.",
                                               len(created)) % {"count": len(created)})
            if skipped:
                messages.info(request, ngettext("%(count)d contract already had it.",
                                                "%(count)d contracts already had it.", skipped) % {"count": skipped})
            return redirect("contracts:obligation-templates")
    return render(request, "contracts/obligations/template_apply.html", {"form": form, "template": template},
                  status=400 if form.is_bound and form.errors else 200)
