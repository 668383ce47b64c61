"""Browser pages: the dashboard, clients, providers, contracts and the client portal.

Views stay thin: they read through selectors (every lookup by id is tenant-scoped, and "not
yours" is the same 404 as "does not exist"), write only through services, and turn a service's
refusal into form errors or messages. Every change is a POST with its CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.decorators import client_page, is_htmx, provider_page
from tenancy.errors import ActionForbidden, DomainError
from tenancy.forms import add_domain_error
from tenancy.roles import CONTRACT_MANAGERS, Role
from tenancy.selectors import tenant_members
from tenancy.sorting import ColumnSort

from . import panels, selectors, services
from .forms import (
    ClientFilterForm,
    ClientForm,
    ContractFilterForm,
    ContractForm,
    ContractPartyForm,
    ContractRoleForm,
    ProviderForm,
    TransitionForm,
)
from .models import (
    TRANSITIONS,
    Contract,
    ContractEvent,
    ContractParty,
    ContractRole,
    ContractRoleKind,
    ContractState,
)

PER_PAGE = 25
manager_page = provider_page(roles=CONTRACT_MANAGERS)


def _get_or_404(selector, **lookup):
    try:
        return selector(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


CONTRACT_SORT = ColumnSort({
    "number": ("number",), "title": ("title",), "client": ("client__name", "number"), "state": ("state", "number"),
    "start": ("start_date", "number"), "fee": ("monthly_fee", "number"), "created": ("created_at",),
}, default="-created")
CLIENT_SORT = ColumnSort({
    "name": ("name",), "legal_name": ("legal_name", "name"), "tax_id": ("tax_id", "name"),
    "contracts": ("contract_count", "name"), "active_contracts": ("active_contract_count", "name"),
    "status": ("is_active", "name"),
}, default="name")


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _filters(form) -> dict:
    """The valid part of a GET filter form (an invalid choice is shown, the rest still applies)."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return form.cleaned_data


def _form_page(request, form, *, save, template, success_message, success_url, context=None):
    """GET shows the form; a valid POST calls `save` (a service) and redirects to the saved object.

    A service's refusal (DomainError) is shown on the field it names; nothing is saved then.
    """
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(**form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, success_message % {"object": saved})
            return redirect(success_url(saved))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form, **(context or {})}, status=status)


def _post_data(request):
    return request.POST if request.method == "POST" else None


# --- dashboard --------------------------------------------------------------------------------

@provider_page
def home(request):
    """The picture at a glance for the user's contracts; an accountant's home is billing. The figures
    come from the apps above contracts (`contracts.panels`: reviews' dashboard)."""
    role = request.membership.role
    if role == Role.ACCOUNTANT:
        return redirect("billing:desk")
    context = panels.panel_context("home", request, now=timezone.now())
    recent = selectors.contract_list()
    if (scope := selectors.manager_scope(user=request.user, role=role)) is not None:
        recent = recent.filter(pk__in=scope)
    return render(request, "contracts/home.html", {**context, "recent": recent[:8]})


# --- clients ----------------------------------------------------------------------------------

@provider_page
def client_list(request):
    form = ClientFilterForm(request.GET or None)
    filters = _filters(form)
    clients = selectors.client_list(search=filters.get("q", ""), active=filters.get("active"))
    clients, sort = CLIENT_SORT.apply(clients, request.GET.get("sort"))
    return render(request, "contracts/client_list.html", {"filter_form": form, "page": _page(request, clients),
                                                          "sort": sort})


@provider_page
def client_detail(request, pk: int):
    client = _get_or_404(selectors.client_get, client_id=pk)
    return render(request, "contracts/client_detail.html", {
        "client": client,
        "contracts": selectors.contract_list(client_id=client.pk),
        "portal_users": tenant_members().filter(client=client),
    })


@manager_page
def client_create(request):
    return _form_page(
        request, ClientForm(_post_data(request)),
        save=lambda **fields: services.client_create(actor=request.user, **fields),
        template="contracts/client_form.html",
        success_message=_("Client “%(object)s” created."),
        success_url=lambda client: reverse("contracts:client-detail", args=[client.pk]),
    )


@manager_page
def client_edit(request, pk: int):
    client = _get_or_404(selectors.client_get, client_id=pk)
    return _form_page(
        request, ClientForm(_post_data(request), instance=client),
        save=lambda **changes: services.client_update(client=client, actor=request.user, **changes),
        template="contracts/client_form.html",
        success_message=_("Client “%(object)s” saved."),
        success_url=lambda client: reverse("contracts:client-detail", args=[client.pk]),
        context={"client": client},
    )


# --- providers --------------------------------------------------------------------------------

@provider_page
def provider_list(request):
    search = request.GET.get("q", "").strip()
    providers = selectors.provider_list(search=search)
    return render(request, "contracts/provider_list.html", {"search": search, "page": _page(request, providers)})


@manager_page
def provider_create(request):
    return _form_page(
        request, ProviderForm(_post_data(request)),
        save=lambda **fields: services.provider_create(actor=request.user, **fields),
        template="contracts/provider_form.html",
        success_message=_("Provider “%(object)s” created."),
        success_url=lambda provider: reverse("contracts:provider-list"),
    )


@manager_page
def provider_edit(request, pk: int):
    provider = _get_or_404(selectors.provider_get, provider_id=pk)
    return _form_page(
        request, ProviderForm(_post_data(request), instance=provider),
        save=lambda **changes: services.provider_update(provider=provider, actor=request.user, **changes),
        template="contracts/provider_form.html",
        success_message=_("Provider “%(object)s” saved."),
        success_url=lambda provider: reverse("contracts:provider-list"),
        context={"provider": provider},
    )


# --- contracts --------------------------------------------------------------------------------

def _contract_or_404(pk: int):
    return _get_or_404(selectors.contract_get, contract_id=pk)


def _contract_url(contract, anchor: str = "") -> str:
    url = reverse("contracts:contract-detail", args=[contract.pk])
    return f"{url}#{anchor}" if anchor else url


@provider_page
def contract_list(request):
    form = ContractFilterForm(request.GET or None)
    filters = _filters(form)
    client = filters.get("client")
    contracts = selectors.contract_list(
        state=filters.get("state", ""), client_id=client.pk if client else None, search=filters.get("q", "")
    )
    contracts, sort = CONTRACT_SORT.apply(contracts, request.GET.get("sort"))
    return render(request, "contracts/contract_list.html", {"filter_form": form, "page": _page(request, contracts),
                                                            "sort": sort})


@manager_page
def contract_create(request):
    initial = {}
    if client_id := request.GET.get("client", "").strip():
        initial["client"] = client_id  # a preset from the client page; the form validates it
    return _form_page(
        request, ContractForm(_post_data(request), initial=initial),
        save=lambda **terms: services.contract_create(actor=request.user, **terms),
        template="contracts/contract_form.html",
        success_message=_("Contract “%(object)s” created as a draft."),
        success_url=_contract_url,
    )


@manager_page
def contract_edit(request, pk: int):
    contract = _contract_or_404(pk)
    return _form_page(
        request, ContractForm(_post_data(request), instance=contract),
        save=lambda **changes: services.contract_update(contract=contract, actor=request.user, **changes),
        template="contracts/contract_form.html",
        success_message=_("Contract “%(object)s” saved."),
        success_url=_contract_url,
        context={"contract": contract},
    )


@dataclass(frozen=True)
class TransitionButton:
    name: str
    label: str
    note_required: bool
    danger: bool
    blocked: bool  # a condition does not hold now: the button stays, and pressing it says why


def _transition_buttons(contract, user) -> list[TransitionButton]:
    """The transitions from the contract's state that `user` may fire, in declaration order."""
    buttons = []
    for transition in contract.get_all_state_transitions():
        if transition.source not in (contract.state, "*") or not transition.has_perm(contract, user):
            continue
        buttons.append(TransitionButton(
            name=transition.name,
            label=transition.custom.get("label", transition.name),
            note_required=bool(transition.custom.get("note_required")),
            danger=bool(transition.custom.get("danger")),
            blocked=not all(condition(contract) for condition in transition.conditions),
        ))
    return buttons


def _transition_label(contract, name: str) -> str:
    return next((str(t.custom.get("label", name)) for t in contract.get_all_state_transitions() if t.name == name), name)


# The contract roles activation needs (Contract.activation_problems); the matrix marks them.
ROLES_NEEDED_TO_ACTIVATE = frozenset({ContractRoleKind.ACCOUNT_MANAGER, ContractRoleKind.CLIENT_SIGNATORY})


def _role_matrix(contract) -> list[dict]:
    """Every cell of the responsibility matrix, in the order of ContractRoleKind, with its people."""
    assigned: dict[str, list[ContractRole]] = {}
    for assignment in contract.roles.all():
        assigned.setdefault(assignment.role, []).append(assignment)
    return [
        {"role": value, "label": label, "required": value in ROLES_NEEDED_TO_ACTIVATE,
         "assignments": assigned.get(value, [])}
        for value, label in ContractRoleKind.choices
    ]


def _event_detail(event: ContractEvent) -> str:
    """One line saying what a non-transition event changed, from the data it recorded."""
    data = event.data or {}
    kind = ContractEvent.Kind
    if event.kind in (kind.PARTY_ADDED, kind.PARTY_REMOVED):
        return data.get("party", "")
    if event.kind in (kind.ROLE_ASSIGNED, kind.ROLE_REMOVED):
        role = dict(ContractRoleKind.choices).get(data.get("role"), data.get("role", ""))
        return f"{role}: {data.get('name') or data.get('user', '')}"  # older events have the username only
    if event.kind.startswith(("obligation_", "amendment_")):
        return data.get("summary", "")
    if event.kind == kind.RENEWAL_REMINDED:
        return data.get("end_date", "")
    if event.kind == kind.TRANSITION and data.get("end_date"):
        return _("End date: %(date)s") % {"date": data["end_date"][1]}
    if event.kind == kind.UPDATED:
        names = []
        for name in data.get("changed", {}):
            try:
                names.append(str(Contract._meta.get_field(name).verbose_name))
            except FieldDoesNotExist:  # a field renamed since the event was recorded
                names.append(name)
        return ", ".join(names)
    return ""


def _timeline(contract) -> list[ContractEvent]:
    events = list(selectors.contract_timeline(contract=contract))
    for event in events:
        event.detail = _event_detail(event)
    return events


def _detail_context(request, contract, *, party_form=None, role_form=None, section_error=None) -> dict:
    can_manage = request.membership.role in CONTRACT_MANAGERS
    context = {
        "contract": contract,
        "timeline": _timeline(contract),
        "role_matrix": _role_matrix(contract),
        "can_manage": can_manage,
        "section_error": section_error,
        "activation_problems": (
            contract.activation_problems() if contract.state in (ContractState.DRAFT, ContractState.NEGOTIATION) else []
        ),
        **_amendment_context(request, contract),
    }
    if can_manage:
        context.update(
            transitions=_transition_buttons(contract, request.user),
            transition_form=TransitionForm(),
            party_form=party_form or ContractPartyForm(),
            role_form=role_form or ContractRoleForm(contract=contract, members=tenant_members()),
        )
    return context


def _amendment_context(request, contract) -> dict:
    """The contract page's "Amendments" and "Versions" sections."""
    from . import amendments

    return {
        "contract_amendments": amendments.amendment_list(contract_id=contract.pk)[:20],
        "version_rows": amendments.version_list(contract=contract),
        "may_propose": contract.state in amendments.AMENDABLE
        and amendments.side_of(request.user, contract) is not None,
        "portal": request.membership.is_client_side,
    }


@provider_page
def contract_detail(request, pk: int):
    contract = _contract_or_404(pk)
    return render(request, "contracts/contract_detail.html", _detail_context(request, contract))


@manager_page
@require_POST
def contract_transition(request, pk: int, name: str):
    contract = _contract_or_404(pk)
    if name not in TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        contract = services.contract_transition(contract=contract, name=name, actor=request.user, note=note)
    except ActionForbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        action = _transition_label(contract, name)
        messages.error(request, _("“%(action)s” was refused:") % {"action": action}, extra_tags="heading")
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The contract is now %(state)s.") % {"state": contract.get_state_display()})
    return redirect(_contract_url(contract))


def _section_response(request, pk: int, section: str, *, saved: str = "", error: DomainError | None = None,
                      party_form=None, role_form=None):
    """After a party or role change: htmx swaps the section (and the timeline and actions);
    without JS, a redirect back to the page, or the page with the form's errors."""
    if isinstance(error, ActionForbidden):
        raise PermissionDenied(str(error.message))
    contract = _contract_or_404(pk)  # again: it shows the change just made
    section_error = " ".join(str(m) for m in error.messages) if error else None
    forms_invalid = bool((party_form and party_form.errors) or (role_form and role_form.errors))
    if is_htmx(request):
        context = _detail_context(request, contract, party_form=party_form if forms_invalid else None,
                                  role_form=role_form if forms_invalid else None, section_error=section_error)
        context.update(section_template=f"contracts/_{section}.html", saved=saved)
        return render(request, "contracts/contract_section.html", context)
    if forms_invalid:
        context = _detail_context(request, contract, party_form=party_form, role_form=role_form)
        return render(request, "contracts/contract_detail.html", context, status=400)
    if section_error:
        messages.error(request, section_error)
    elif saved:
        messages.success(request, saved)
    return redirect(_contract_url(contract, section))


@manager_page
@require_POST
def contract_party_add(request, pk: int):
    contract = _contract_or_404(pk)
    form = ContractPartyForm(request.POST)
    if form.is_valid():
        try:
            services.contract_party_add(contract=contract, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _section_response(request, pk, "parties", saved=_("Party added."))
    return _section_response(request, pk, "parties", party_form=form)


@manager_page
@require_POST
def contract_party_remove(request, pk: int, party_pk: int):
    contract = _contract_or_404(pk)
    party = _get_or_404(
        ContractParty.objects.select_related("contract", "client", "provider").get, pk=party_pk, contract=contract
    )
    try:
        services.contract_party_remove(party=party, actor=request.user)
    except DomainError as error:
        return _section_response(request, pk, "parties", error=error)
    return _section_response(request, pk, "parties", saved=_("Party removed."))


@manager_page
@require_POST
def contract_role_add(request, pk: int):
    contract = _contract_or_404(pk)
    form = ContractRoleForm(request.POST, contract=contract, members=tenant_members())
    if form.is_valid():
        try:
            services.contract_role_assign(contract=contract, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _section_response(request, pk, "roles", saved=_("Role assigned."))
    return _section_response(request, pk, "roles", role_form=form)


@manager_page
@require_POST
def contract_role_remove(request, pk: int, role_pk: int):
    contract = _contract_or_404(pk)
    assignment = _get_or_404(
        ContractRole.objects.select_related("contract", "user").get, pk=role_pk, contract=contract
    )
    try:
        services.contract_role_remove(assignment=assignment, actor=request.user)
    except DomainError as error:
        return _section_response(request, pk, "roles", error=error)
    return _section_response(request, pk, "roles", saved=_("Role removed."))


# --- client portal ----------------------------------------------------------------------------

@client_page
def portal(request):
    """The client's home: their contracts, and what the apps above contracts give it (`contracts.panels`):
    live compliance, acts waiting for a signature, invoices and review reports (reviews), open orders
    with their clocks (orders)."""
    client = request.membership.client
    context = panels.panel_context("portal", request, client=client, now=timezone.now())
    contracts = selectors.contract_list(client_scope=client)
    return render(request, "contracts/portal.html", {"client": client, "page": _page(request, contracts), **context})


@client_page
def portal_contract(request, pk: int):
    contract = _contract_or_404(pk)
    if contract.client_id != request.membership.client_id:
        raise Http404  # another client's contract: the same answer as a missing one
    return render(request, "contracts/portal_contract.html", {
        "contract": contract,
        "role_matrix": _role_matrix(contract),
        "timeline": selectors.contract_timeline(contract=contract).filter(kind=ContractEvent.Kind.TRANSITION),
        **_amendment_context(request, contract),
    })
