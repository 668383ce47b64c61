"""Browser pages of the SLA: business calendars, a contract's SLA policies and force majeure, and
the breaches list. Account managers and administrators configure; all provider staff read.

Reads go through sla.selectors (tenant-scoped: another tenant's id is a 404), writes through
sla.services; a service's refusal becomes a form error (400) or a message, and nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.selectors import contract_get
from tenancy.decorators import provider_page
from tenancy.errors import DomainError
from tenancy.forms import add_domain_error
from tenancy.keyset import kept_counts
from tenancy.roles import CONTRACT_MANAGERS
from tenancy.sorting import ColumnSort

from . import selectors, services
from .forms import (
    BreachFilterForm,
    CalendarForm,
    ForceMajeureForm,
    ForceMajeureLiftForm,
    PolicyForm,
    format_intervals,
)
from .models import WEEKDAYS

PER_PAGE = 25
manager_page = provider_page(roles=CONTRACT_MANAGERS)


def _get_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _contract_or_404(pk: int):
    try:
        return contract_get(contract_id=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _save_form(request, form, *, save, template: str, success_message: str, success_url, context=None):
    """A valid POST calls `save` (a service); its refusal shows on the form with a 400."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, success_message)
            return redirect(success_url(saved))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form, **(context or {})}, status=status)


def _post_data(request):
    return request.POST if request.method == "POST" else None


# --- business calendars -------------------------------------------------------------------------

@provider_page
def calendar_list(request):
    calendars = list(selectors.calendar_list().annotate(policy_count=Count("policies")))
    for calendar in calendars:
        hours = calendar.working_hours or {}
        calendar.week = [(label, format_intervals(hours.get(str(day)))) for day, label in WEEKDAYS if hours.get(str(day))]
    return render(request, "sla/calendar_list.html", {
        "calendars": calendars, "can_manage": request.membership.role in CONTRACT_MANAGERS,
    })


def _calendar_context() -> dict:
    import zoneinfo

    return {"time_zones": sorted(zoneinfo.available_timezones())}


@manager_page
def calendar_create(request):
    form = CalendarForm(_post_data(request))
    return _save_form(
        request, form,
        save=lambda: services.calendar_create(actor=request.user, **form.service_fields()),
        template="sla/calendar_form.html", success_message=_("Calendar saved."),
        success_url=lambda calendar: reverse("sla:calendar-list"), context=_calendar_context(),
    )


@manager_page
def calendar_edit(request, pk: int):
    calendar = _get_or_404(selectors.calendar_list(), pk=pk)
    form = CalendarForm(_post_data(request), calendar=calendar)
    return _save_form(
        request, form,
        save=lambda: services.calendar_update(calendar=calendar, actor=request.user, **form.service_fields()),
        template="sla/calendar_form.html",
        success_message=_("Calendar saved; the running clocks that count in it have new due times."),
        success_url=lambda calendar: reverse("sla:calendar-list"),
        context={"calendar": calendar, **_calendar_context()},
    )


# --- a contract's SLA: policies and force majeure -----------------------------------------------

@provider_page
def contract_sla(request, pk: int):
    contract = _contract_or_404(pk)
    return render(request, "sla/contract_sla.html", {
        "contract": contract,
        "policies": selectors.policy_list().filter(contract=contract),
        "periods": selectors.force_majeure_list().filter(contract=contract),
        "active_period": services.force_majeure_active(contract_id=contract.pk),
        "breaches": selectors.breach_list().filter(contract=contract)[:10],
        "can_manage": request.membership.role in CONTRACT_MANAGERS,
        "fm_form": ForceMajeureForm(), "lift_form": ForceMajeureLiftForm(),
    })


def _contract_sla_url(contract) -> str:
    return reverse("sla:contract-sla", args=[contract.pk])


@manager_page
def policy_create(request, pk: int):
    contract = _contract_or_404(pk)
    form = PolicyForm(_post_data(request))
    return _save_form(
        request, form,
        save=lambda: services.policy_create(actor=request.user, contract=contract, **form.cleaned_data),
        template="sla/policy_form.html",
        success_message=_("SLA policy saved. Orders raised from now on follow it."),
        success_url=lambda policy: _contract_sla_url(contract), context={"contract": contract},
    )


@manager_page
def policy_edit(request, pk: int):
    policy = _get_or_404(selectors.policy_list(), pk=pk)
    form = PolicyForm(_post_data(request), policy=policy)

    def save():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "priority"}
        return services.policy_update(policy=policy, actor=request.user, **changes)

    return _save_form(
        request, form, save=save, template="sla/policy_form.html",
        success_message=_("SLA policy saved. Running clocks keep the terms they started under."),
        success_url=lambda saved: _contract_sla_url(policy.contract),
        context={"contract": policy.contract, "policy": policy},
    )


def _back_to_contract(request, contract):
    """Force majeure is started and lifted from the contract's page (or its SLA page)."""
    if request.POST.get("back") == "sla":
        return redirect(_contract_sla_url(contract))
    return redirect(reverse("contracts:contract-detail", args=[contract.pk]) + "#sla")


def _refused(request, error: DomainError) -> None:
    messages.error(request, _("Refused:"), extra_tags="heading")
    for message in error.messages:
        messages.error(request, message)


@manager_page
@require_POST
def force_majeure_start(request, pk: int):
    contract = _contract_or_404(pk)
    form = ForceMajeureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for force majeure."))
        return _back_to_contract(request, contract)
    try:
        services.force_majeure_start(contract=contract, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Force majeure declared: the clocks of this contract's orders stand still."))
    return _back_to_contract(request, contract)


@manager_page
@require_POST
def force_majeure_lift(request, pk: int):
    contract = _contract_or_404(pk)
    period = services.force_majeure_active(contract_id=contract.pk)
    if period is None:
        messages.error(request, _("There is no force majeure in effect on this contract."))
        return _back_to_contract(request, contract)
    form = ForceMajeureLiftForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.force_majeure_lift(period=period, actor=request.user, note=note)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Force majeure lifted: the clocks run again."))
    return _back_to_contract(request, contract)


# --- breaches -----------------------------------------------------------------------------------

BREACH_SORT = ColumnSort({
    "order": ("order__number",), "contract": ("contract__number", "breached_at"), "metric": ("metric", "breached_at"),
    "due": ("due_at",), "breached": ("breached_at",), "penalty": ("penalty", "breached_at"),
}, default="-breached")


@provider_page
def breach_list(request):
    form = BreachFilterForm(request.GET or None)
    breaches = selectors.breach_list().select_related("order__client")
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
        if filters.get("contract") is not None:
            breaches = breaches.filter(contract=filters["contract"])
        if filters.get("metric"):
            breaches = breaches.filter(metric=filters["metric"])
    # the totals count the page's rows too: the paginator reads no count of its own (long ones are kept)
    totals = kept_counts(breaches, waived=Count("id", filter=Q(waived_at__isnull=False)))
    breaches, sort = BREACH_SORT.apply(breaches, request.GET.get("sort"))
    paginator = Paginator(breaches, PER_PAGE)
    paginator.count = totals["count"]
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "sla/breach_list.html", {"filter_form": form, "page": page, "totals": totals,
                                                    "sort": sort})
