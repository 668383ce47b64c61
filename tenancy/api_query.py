"""A list's query parameters, read strictly: a parameter the list does not take is a 400 naming it.

A filter's name mistyped (`?stat=open`, `?contract_id=7`) used to be ignored, so the list answered
every row, as if it had been filtered: an integration that syncs "the open orders" would have read
the whole history and acted on it. Every list of the REST API now takes exactly the query
parameters its OpenAPI document gives — its filters (a range filter's `_after`/`_before` or
`_min`/`_max` halves), search, ordering and paging, and those a list reads itself
(`list_query_params`, the audit export's `from` and `to`) — plus DRF's `format`; any other is refused with
a 400 that names it and lists the ones the list takes (tests/test_api_query.py holds the two sets
equal for every list of the document).

A parameter a list's pagination refuses with a message of its own (the cursor lists' `page`) is left
to it. Every other GET is held to the same rule (`check_read_parameters`): an object takes only
`format`; a list under an object (an order's events, a dispute's documents) its paging; an action that
reads parameters by hand (a review's report: `lang`) names them in `action_query_params`.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import SuffixedMultiWidget
from rest_framework import exceptions
from rest_framework.settings import api_settings

_known: dict[type, frozenset[str]] = {}  # per view class; a race computes the same set twice


def _filter_names(backend, view) -> list[str]:
    """The query parameters of a filter backend on `view`, as the OpenAPI document gives them."""
    if isinstance(backend, DjangoFilterBackend):
        filterset_class = backend.get_filterset_class(view, view.get_queryset())
        if filterset_class is None:
            return []
        names = []
        for name, item in filterset_class.base_filters.items():
            # the widget from the classes, never `item.field`: that builds the class's own form field,
            # with a choice filter's queryset of this request's tenant in it
            widget = item.extra.get("widget") or item.field_class.widget
            if isinstance(widget, SuffixedMultiWidget) or (isinstance(widget, type)
                                                           and issubclass(widget, SuffixedMultiWidget)):
                names.extend(f"{name}_{suffix}" if suffix else name for suffix in widget.suffixes)
            else:
                names.append(name)
        return names
    return [parameter["name"] for parameter in backend.get_schema_operation_parameters(view)
            if parameter.get("in") == "query"]


def list_parameters(view) -> frozenset[str]:
    """Every query parameter the list of `view` takes (computed once per view class)."""
    known = _known.get(type(view))
    if known is None:
        names = {api_settings.URL_FORMAT_OVERRIDE, *getattr(view, "list_query_params", ())}
        for backend_class in view.filter_backends:
            names.update(_filter_names(backend_class(), view))
        paginator = view.paginator
        if paginator is not None:
            names.update(parameter["name"] for parameter in paginator.get_schema_operation_parameters(view)
                         if parameter.get("in") == "query")
        known = _known[type(view)] = frozenset(name for name in names if name)
    return known


def read_parameters(view) -> frozenset[str]:
    """What a GET other than a `list` takes: `format`, the paging of a list under an object (an action
    with a pagination of its own to page with), and what the action names in `action_query_params`."""
    names = {api_settings.URL_FORMAT_OVERRIDE, *getattr(view, "action_query_params", ())}
    if view.action != "retrieve" and view.paginator is not None:
        names.update(parameter["name"] for parameter in view.paginator.get_schema_operation_parameters(view)
                     if parameter.get("in") == "query")
    return frozenset(name for name in names if name)


def check_list_parameters(view, request) -> None:
    """A 400 naming each query parameter of `request` that the list of `view` does not take."""
    _refuse_unknown(request, list_parameters(view), getattr(view.paginator, "refused_query_params", ()), a_list=True)


def check_read_parameters(view, request) -> None:
    """A 400 naming each query parameter of `request` that a GET other than a list does not take."""
    if request.query_params:
        _refuse_unknown(request, read_parameters(view), (), a_list=False)


def _refuse_unknown(request, known: frozenset[str], refused_there, *, a_list: bool) -> None:
    unknown = [name for name in request.query_params if name not in known and name not in refused_there]
    if not unknown:
        return
    takes = ", ".join(sorted(known - {api_settings.URL_FORMAT_OVERRIDE}))
    if a_list and takes:
        message = gettext("This list takes no parameter “%(name)s”; it takes %(names)s.")
    elif a_list:
        message = gettext("This list takes no parameter “%(name)s”; it takes none.")
    elif takes:
        message = gettext("This request takes no parameter “%(name)s”; it takes %(names)s.")
    else:
        message = gettext("This request takes no parameter “%(name)s”; it takes none.")
    raise exceptions.ValidationError({name: [message % {"name": name, "names": takes}] for name in unknown})
