"""The search page (`/search/?q=`): the current tenant's orders, contracts, clients, acts and invoices
that match, grouped by kind; a client user finds only what their portal shows and links to it."""

from __future__ import annotations

from django.shortcuts import render

from tenancy.decorators import member_required

from .finder import LIMIT, MAX_QUERY_LENGTH, clean_query, search_all


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
