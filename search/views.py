"""The search page (`/search/?q=`): the current tenant's orders, contracts, clients, acts and invoices
that match, grouped by kind; a client user finds only what their portal shows and links to it.
And the saved views of the lists: save the current query under a name, delete one's own."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.decorators import member_required, provider_page
from tenancy.errors import DomainError
from tenancy.forms import add_domain_error

from . import selectors, services
from .finder import LIMIT, MAX_QUERY_LENGTH, clean_query, search_all
from .forms import SavedViewForm
from .models import SavedView


@member_required
def search(request):
    raw = request.GET.get("q", "")
    query = clean_query(raw)
    groups = search_all(query=query, membership=request.membership)
    return render(request, "search/results.html", {
        "query": query, "raw_query": query.text if query.truncated else raw, "groups": groups,
        "searched": bool(raw.strip()), "total": sum(len(group.hits) for group in groups),
        "limit": LIMIT, "max_length": MAX_QUERY_LENGTH,
    })


@provider_page
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = services.saved_view_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
            return redirect(selectors.saved_view_url(view))
    list_name = form.cleaned_data.get("list_name") or SavedView.List.ORDERS
    back = SavedView(list_name=list_name, query=request.POST.get("query", "")[:2000])
    return render(request, "search/saved_view_form.html", {"form": form, "back_url": selectors.saved_view_url(back)},
                  status=400)


@provider_page
@require_POST
def saved_view_delete(request, pk: int):
    try:
        view = SavedView.objects.filter(user=request.user).get(pk=pk)
        services.saved_view_delete(user=request.user, view_id=pk)
    except SavedView.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("The view “%(name)s” is deleted.") % {"name": view.name})
    return redirect(selectors.saved_view_url(SavedView(list_name=view.list_name)))
