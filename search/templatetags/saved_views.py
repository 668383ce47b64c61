"""`{% saved_views "orders" %}`: the signed-in user's saved views of a list, beside its filter form.

A template tag, so that the lists' apps (below this one) never import it."""

from __future__ import annotations

from django import template

from ..selectors import saved_view_url
from ..selectors import saved_views as select_saved_views

register = template.Library()


@register.inclusion_tag("search/_saved_views.html", takes_context=True)
def saved_views(context, list_name: str):
    request = context["request"]
    views = list(select_saved_views(user=request.user, list_name=list_name))
    for view in views:
        view.url = saved_view_url(view)
    return {"views": views, "list_name": list_name, "request": request,
            "query": request.GET.urlencode(), "csrf_token": context.get("csrf_token")}
