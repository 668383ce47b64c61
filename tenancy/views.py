"""Browser pages of the tenancy app: switching organisation and the API keys of a tenant."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .decorators import provider_page
from .errors import DomainError
from .forms import ApiKeyForm, TenantLegalDetailsForm, TenantSwitchForm, add_domain_error
from .middleware import SESSION_KEY
from .models import ApiKey, Tenant
from .roles import TENANT_ADMINS
from .selectors import api_key_list
from .services import api_key_create, api_key_revoke, tenant_legal_details_update


@login_required
def tenant_switch(request):
    """Choose the organisation to work in, among the user's active memberships only."""
    form = TenantSwitchForm(request.POST or None, memberships=request.memberships)
    if request.method == "POST":
        if form.is_valid():
            request.session[SESSION_KEY] = form.cleaned_data["tenant"]
            chosen = next(m for m in request.memberships if m.tenant_id == form.cleaned_data["tenant"])
            messages.success(request, _("You are now working in %(tenant)s.") % {"tenant": chosen.tenant.name})
            # the previous page may show the other tenant's object, so start from the dashboard
            return redirect("home")
        return render(request, "tenancy/tenant_switch.html", {"form": form}, status=400)
    return render(request, "tenancy/tenant_switch.html", {"form": form})


@provider_page(roles=TENANT_ADMINS)
@never_cache
def api_keys(request):
    """The tenant's API keys, and the form that creates one (its raw key is shown once)."""
    form = ApiKeyForm(request.POST or None, time_zone=request.tenant.time_zone)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw_key = api_key_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # POST → redirect → GET: a reload must not create a second key. The raw key waits in the
            # session only until that GET, which takes it out (a second reload shows it no more).
            request.session[CREATED_KEY_SESSION] = {"id": key.pk, "raw": raw_key}
            return redirect("tenancy:api-key-created")
    status = 400 if form.errors else 200
    return render(request, "tenancy/api_keys.html", {"keys": api_key_list(), "form": form}, status=status)


CREATED_KEY_SESSION = "api_key_created"


@provider_page(roles=TENANT_ADMINS)
@never_cache
def api_key_created(request):
    """The new key, shown once: the session gives it up on this first view."""
    created = request.session.pop(CREATED_KEY_SESSION, None)
    key = api_key_list().filter(pk=created["id"]).first() if created else None
    if key is None:
        messages.info(request, _("The new key was shown once and is no longer available: only its fingerprint is stored."))
        return redirect("tenancy:api-keys")
    return render(request, "tenancy/api_key_created.html", {"key": key, "raw_key": created["raw"]})


@provider_page(roles=TENANT_ADMINS)
@require_POST
def api_key_revoke_view(request, pk: int):
    try:
        key = api_key_list().get(pk=pk)
    except ApiKey.DoesNotExist as exc:
        raise Http404 from exc
    api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key “%(name)s” is revoked: it no longer opens the API.") % {"name": key.name})
    return redirect("tenancy:api-keys")


@provider_page(roles=TENANT_ADMINS)
def legal_details(request):
    """The organisation's legal details (INN, KPP, OGRN, address, bank), printed on its invoices and
    acts and sent in the accounting export."""
    # a copy of the row: a refused form must not leave its values on the request's tenant
    form = TenantLegalDetailsForm(request.POST or None, instance=Tenant.objects.get(pk=request.tenant.pk))
    if request.method == "POST" and form.is_valid():
        try:
            tenant_legal_details_update(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The organisation's details are saved."))
            return redirect("tenancy:legal-details")
    status = 400 if form.errors else 200
    return render(request, "tenancy/legal_details.html", {"form": form}, status=status)
