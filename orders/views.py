"""Browser pages of orders: the provider's list and order page, and the client portal's.

One order page serves both sides: provider staff see everything (internal comments and files,
assignment, the whole history); a client user sees only their client's orders, client-visible
history, comments and files, and only the actions that belong to the client. Files go out only
through the download views here, never from a public media URL. Every lookup goes through the tenant
(and, for a client user, their client): "not yours" is the same 404 as "does not exist".
Views read through orders.selectors and write only through orders.services.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from sla.models import Metric, Priority
from sla.selectors import ClockState, clock_state, clock_status
from sla.services import force_majeure_active
from tenancy.decorators import client_page, member_required, provider_page
from tenancy.errors import DomainError
from tenancy.forms import add_domain_error
from tenancy.keyset import InvalidCursor, Sort, capped_count, keyset_page
from tenancy.roles import has_role
from tenancy.uploads import attachment_response

from . import search, selectors, services
from .api.filters import OrderFilter
from .forms import (
    AssignForm,
    AttachmentForm,
    BulkActionForm,
    CommentForm,
    OrderEditForm,
    OrderFilterForm,
    OrderRaiseForm,
    OrderRegisterForm,
    TransitionForm,
)
from .models import OPEN_STATES, Order, OrderAttachment, OrderEvent

PER_PAGE = 25
CLOCK_LABELS = {
    ClockState.RUNNING: gettext_lazy("running"), ClockState.PAUSED: gettext_lazy("paused"),
    ClockState.MET: gettext_lazy("met"), ClockState.WARNED: gettext_lazy("warned"),
    ClockState.BREACHED: gettext_lazy("breached"),
}


def _client_id(request) -> int | None:
    """The client a client-side user is limited to; None for provider staff."""
    membership = request.membership
    return membership.client_id if membership.is_client_side else None


def _order_or_404(request, pk: int) -> Order:
    try:
        return selectors.order_get(order_id=pk, client_id=_client_id(request))
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def _order_url(request, order, anchor: str = "") -> str:
    name = "orders:portal-order-detail" if request.membership.is_client_side else "orders:order-detail"
    url = reverse(name, args=[order.pk])
    return f"{url}#{anchor}" if anchor else url


def _time_zone(request) -> str:
    """The zone a typed date-time is read in: the one the person sees times in (their own, or the
    organisation's), so that a deadline shown as 18:00 and saved unchanged stays 18:00."""
    return request.display_time_zone


# --- list ---------------------------------------------------------------------------------------

SORTS = {
    # due soonest: running clocks by due time; orders with no running clock after them, newest first
    "due": "next_due_at",
    "-due": "-next_due_at",
    "newest": "-reported_at",
    "oldest": "reported_at",
}
# The sortable column headers of the list, each over sorts its indexes serve: (ascending, descending).
HEADER_SORTS = {"due": ("due", "-due"), "reported": ("oldest", "newest")}


def _filtered_orders(form: OrderFilterForm, client_id: int | None) -> tuple:
    """The orders the form's filters select, the sort to page them by and its key (an unknown key: due soonest)."""
    filters = {}
    if form.is_bound:
        form.is_valid()  # an invalid choice is shown on the form; the valid filters still apply
        filters = form.cleaned_data
    orders = selectors.order_list(client_id=client_id)
    orders = search.matching(orders, filters.get("q"))
    # The API's filters (orders.api.filters.OrderFilter) on the values the form has already checked
    # against the same choices: the page and the API select the same orders for the same filter.
    values = {name: filters[name] for name in ("contract", "team", "assignee", "breached")
              if filters.get(name) is not None}
    if state := filters.get("state") or "":
        values["state"] = list(OPEN_STATES) if state == "open" else [state]
    for name, value in values.items():
        orders = OrderFilter.base_filters[name].filter(orders, value)
    key = filters.get("sort") if filters.get("sort") in SORTS else "due"
    return orders, Sort.parse(SORTS[key], Order), key


def _annotate_clock_states(orders, now: dt.datetime) -> None:
    """Each order's clocks as (metric label, state) pairs: from the prefetched rows, no engine."""
    metrics = dict(Metric.choices)
    for order in orders:
        clocks = sorted(order.page_clocks, key=lambda c: [Metric.RESPONSE, Metric.RESOLUTION].index(c.metric))
        order.clock_states = [
            {"metric": metrics[c.metric], "state": (state := clock_state(c, now=now)), "label": CLOCK_LABELS[state]}
            for c in clocks
        ]
        order.any_paused = any(c.paused_since is not None and c.stopped_at is None for c in clocks)


def _list_page(request, *, template: str, client_id: int | None, extra: dict | None = None):
    form = OrderFilterForm(request.GET or None, client_id=client_id)
    orders, sort, sort_key = _filtered_orders(form, client_id)
    keys = ("id", sort.field)  # the page's positions; its rows are read by `selectors.order_page_rows`
    try:
        page = keyset_page(orders, sort=sort, cursor=request.GET.get("cursor") or None, size=PER_PAGE, values=keys)
    except InvalidCursor:
        messages.warning(request, _("That page link has expired; here is the first page."))
        page = keyset_page(orders, sort=sort, size=PER_PAGE, values=keys)
    page.rows = selectors.order_page_rows([row["id"] for row in page.rows], client_id=client_id)
    _annotate_clock_states(page.rows, timezone.now())
    count, more = capped_count(orders)
    return render(request, template, {"filter_form": form, "page": page, "orders": page.rows,
                                      "count": count, "count_more": more, "sort": sort_key,
                                      "header_sorts": HEADER_SORTS, **(extra or {})})


@provider_page
def order_list(request):
    may_bulk = has_role(request.user, services.BULK_EDITORS)
    return _list_page(request, template="orders/order_list.html", client_id=None,
                      extra={"bulk_form": BulkActionForm() if may_bulk else None})


@provider_page
@require_POST
def order_bulk(request):
    """Assign the ticked orders, or move each one a step, through the single-order services: each
    order changes in its own transaction, all of it or nothing; the message lists every refusal."""
    if not has_role(request.user, services.BULK_EDITORS):
        raise PermissionDenied(_("Only an administrator or an account manager may change several orders at once."))
    form = BulkActionForm(request.POST, orders=selectors.order_list().prefetch_related(None))
    back = reverse("orders:order-list")
    if query := request.POST.get("return_query", "").replace("\r", "").replace("\n", "")[:2000]:
        back = f"{back}?{query}"
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for message in errors:
                messages.error(request, f"{label}: {message}" if label else message)
        return redirect(back)
    orders = sorted(form.cleaned_data["orders"], key=lambda order: order.number)
    if form.cleaned_data["action"] == BulkActionForm.ASSIGN:
        result = services.orders_bulk_assign(orders=orders, actor=request.user, assignee=form.cleaned_data["assignee"])
    else:
        result = services.orders_bulk_transition(orders=orders, name=form.cleaned_data["transition"],
                                                 actor=request.user, note=form.cleaned_data["note"])
    if result.done:
        messages.success(request, ngettext("%(count)s order changed.", "%(count)s orders changed.",
                                           len(result.done)) % {"count": len(result.done)})
    if result.failed:
        messages.error(request, ngettext("%(count)s order was not changed:", "%(count)s orders were not changed:",
                                         len(result.failed)) % {"count": len(result.failed)}, extra_tags="heading")
        for order, reasons in result.failed:
            messages.error(request, f"{order.number}: {' '.join(reasons)}")
    return redirect(back)


@client_page
def portal_order_list(request):
    return _list_page(request, template="orders/portal_order_list.html", client_id=request.membership.client_id)


# --- raise / register ---------------------------------------------------------------------------

def _create_page(request, form, *, template: str, success_url):
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            order = services.order_create_with_attachments(actor=request.user, attachments=fields.pop("attachments"),
                                                           **fields)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Order %(number)s is registered; its SLA clocks are running.")
                             % {"number": order.number})
            return redirect(success_url(order))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form}, status=status)


@provider_page
def order_create(request):
    initial = {}
    if contract_id := request.GET.get("contract", "").strip():
        initial["contract"] = contract_id
    form = OrderRegisterForm(request.POST if request.method == "POST" else None,
                             request.FILES if request.method == "POST" else None, initial=initial,
                             time_zone=_time_zone(request))
    return _create_page(request, form, template="orders/order_form.html",
                        success_url=lambda order: reverse("orders:order-detail", args=[order.pk]))


@client_page
def portal_order_create(request):
    form = OrderRaiseForm(request.POST if request.method == "POST" else None,
                          request.FILES if request.method == "POST" else None, time_zone=_time_zone(request),
                          client_id=request.membership.client_id)
    return _create_page(request, form, template="orders/portal_order_form.html",
                        success_url=lambda order: reverse("orders:portal-order-detail", args=[order.pk]))


# --- the order page -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TransitionButton:
    name: str
    label: str
    note_required: bool
    danger: bool


def _transition_buttons(order: Order, side: str | None) -> list[TransitionButton]:
    """The actions `side` may take now, in the order of the state machine."""
    if side is None:
        return []
    available = {t.name: t for t in order.get_available_state_transitions() if t.custom.get("side") in ("any", side)}
    return [
        TransitionButton(name=name, label=str(available[name].custom.get("label", name)),
                         note_required=bool(available[name].custom.get("note_required")),
                         danger=bool(available[name].custom.get("danger")))
        for name in services.TRANSITIONS if name in available
    ]


def _clock_rows(order: Order, now: dt.datetime) -> list[dict]:
    calendars: dict = {}
    rows = []
    for clock in sorted(order.clocks.all(), key=lambda c: [Metric.RESPONSE, Metric.RESOLUTION].index(c.metric)):
        status = clock_status(clock, now=now, calendars=calendars)
        target = status.target.total_seconds() or 1
        rows.append({
            "clock": clock,
            "status": status,
            "label": clock.get_metric_display(),
            "state_label": CLOCK_LABELS[status.state],
            "percent": max(0, min(100, round(status.elapsed.total_seconds() * 100 / target))),
            "warn_percent": clock.warning_threshold_pct,
            "calendar": clock.calendar.name if clock.calendar else _("24×7"),
            "calendar_tz": clock.calendar.time_zone if clock.calendar and not clock.calendar.always_on else "",
            "overdue": status.time_left < dt.timedelta(0),
        })
    return rows


def _format_value(name: str, value: str, tz) -> str:
    if value in ("", "None"):
        return "—"
    if name == "priority":
        return str(dict(Priority.choices).get(value, value))
    if name == "desired_deadline":
        try:
            return timezone.localtime(dt.datetime.fromisoformat(value), tz).strftime("%Y-%m-%d %H:%M")
        except (ValueError, OverflowError):
            return value
    return value


def _timeline(order: Order, *, client_view: bool, tz) -> list[OrderEvent]:
    """The history, with each scope or deadline change spelled out (field: old → new)."""
    events = list(selectors.order_timeline(order=order, client_view=client_view))
    for event in events:
        event.changes = []
        if event.kind == OrderEvent.Kind.CHANGED:
            for name, (old, new) in (event.data or {}).get("changed", {}).items():
                try:
                    label = str(Order._meta.get_field(name).verbose_name).capitalize()
                except FieldDoesNotExist:
                    label = name
                event.changes.append({"field": name, "label": label, "old": _format_value(name, old, tz),
                                      "new": _format_value(name, new, tz)})
        elif event.kind == OrderEvent.Kind.ASSIGNED:
            data = event.data or {}
            event.detail = " · ".join(part for part in (data.get("team"), data.get("assignee")) if part) or _("Unassigned")
        elif event.kind == OrderEvent.Kind.ATTACHED:
            event.detail = (event.data or {}).get("name", "")
    return events


def _detail(request, order: Order, *, comment_form=None, attachment_form=None, status: int = 200):
    client_view = request.membership.is_client_side
    now = timezone.now()
    context = {
        "order": order,
        "client_view": client_view,
        "clocks": _clock_rows(order, now),
        "timeline": _timeline(order, client_view=client_view, tz=zoneinfo.ZoneInfo(request.display_time_zone)),
        "comments": selectors.order_comments(order=order, client_view=client_view),
        "comment_form": comment_form or CommentForm(client_view=client_view),
        "attachments": selectors.order_attachments(order=order, client_view=client_view),
        "attachment_form": attachment_form or AttachmentForm(client_view=client_view),
        "transitions": _transition_buttons(order, services.order_side(actor=request.user, order=order)),
        "editable": services.order_is_editable(order),
        "open_force_majeure": _open_force_majeure(order),
    }
    if not client_view:
        context["assign_form"] = AssignForm(initial={"team": order.team_id, "assignee": order.assignee_id})
    template = "orders/portal_order_detail.html" if client_view else "orders/order_detail.html"
    return render(request, template, context, status=status)


def _open_force_majeure(order: Order):
    return force_majeure_active(contract_id=order.contract_id)


@member_required
def order_detail(request, pk: int):
    if request.membership.is_client_side:
        return redirect("orders:portal-order-detail", pk=pk)  # e.g. from a notification's link
    return _detail(request, _order_or_404(request, pk))


@client_page
def portal_order_detail(request, pk: int):
    return _detail(request, _order_or_404(request, pk))


@member_required
@require_POST
def order_transition(request, pk: int, name: str):
    """Fire one step of the state machine; the wrong side or state is refused with a message."""
    order = _order_or_404(request, pk)
    if name not in services.TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        order = services.order_transition(order=order, name=name, actor=request.user, note=note)
    except DomainError as error:
        label = next((str(t.custom.get("label", name)) for t in order.get_all_state_transitions() if t.name == name),
                     name)
        messages.error(request, _("“%(action)s” was refused:") % {"action": label}, extra_tags="heading")
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Order %(number)s is now %(state)s.")
                         % {"number": order.number, "state": order.get_state_display()})
    return redirect(_order_url(request, order))


@member_required
@require_POST
def order_comment(request, pk: int):
    order = _order_or_404(request, pk)
    client_view = request.membership.is_client_side
    form = CommentForm(request.POST, client_view=client_view)
    if form.is_valid():
        try:
            services.order_comment(order=order, actor=request.user, body=form.cleaned_data["body"],
                                   internal=form.cleaned_data.get("internal", False))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Comment added."))
            return redirect(_order_url(request, order, "comments"))
    return _detail(request, order, comment_form=form, status=400)


@member_required
@require_POST
def order_attach(request, pk: int):
    """Either side attaches a file; provider staff may keep it internal."""
    order = _order_or_404(request, pk)
    client_view = request.membership.is_client_side
    form = AttachmentForm(request.POST, request.FILES, client_view=client_view)
    if form.is_valid():
        try:
            attachment = services.order_attach(order=order, actor=request.user, upload=form.cleaned_data["file"],
                                               internal=form.cleaned_data.get("internal", False))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
            return redirect(_order_url(request, order, "attachments"))
    return _detail(request, order, attachment_form=form, status=400)


# Types a browser may show itself; everything else downloads as opaque bytes.
def _download(request, pk: int, attachment_pk: int):
    order = _order_or_404(request, pk)
    try:
        attachment = selectors.order_attachment_get(order=order, attachment_id=attachment_pk,
                                                    client_view=request.membership.is_client_side)
    except OrderAttachment.DoesNotExist as exc:
        raise Http404 from exc
    return attachment_response(attachment)


@member_required
def order_attachment(request, pk: int, attachment_pk: int):
    """Download a file of an order: another tenant's or client's order, or an internal file asked
    for by a client user, is the same 404 as a file that does not exist."""
    return _download(request, pk, attachment_pk)


@client_page
def portal_order_attachment(request, pk: int, attachment_pk: int):
    return _download(request, pk, attachment_pk)


@provider_page
@require_POST
def order_assign(request, pk: int):
    order = _order_or_404(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.order_assign(order=order, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Assignment saved."))
            return redirect(_order_url(request, order))
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)
    return redirect(_order_url(request, order))


@member_required
def order_edit(request, pk: int):
    """Change scope or deadline (before the plan is agreed); the client sees the change history."""
    order = _order_or_404(request, pk)
    form = OrderEditForm.for_order(order, request.POST if request.method == "POST" else None,
                                   time_zone=_time_zone(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.order_update(order=order, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Order %(number)s saved; the change is in its history.") % {"number": order.number})
            return redirect(_order_url(request, order))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "orders/order_edit.html", {
        "form": form, "order": order, "client_view": request.membership.is_client_side,
        "editable": services.order_is_editable(order), "back_url": _order_url(request, order),
    }, status=status)
