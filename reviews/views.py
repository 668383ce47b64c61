"""Browser pages of reviews: the provider's list, review page with the procedure and the action
items editor, the report as PDF and CSV; the client portal's reviews with the confirmation form.

Every lookup goes through the tenant (and, for a client user, their client): "not yours" is the
same 404 as "does not exist". State changes only by POST (CSRF), through reviews.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.decorators import client_page, member_required, provider_page
from tenancy.errors import ActionForbidden, DomainError
from tenancy.forms import add_domain_error
from tenancy.roles import CONTRACT_MANAGERS
from tenancy.sorting import ColumnSort

from . import report as reports
from . import selectors, services
from .forms import (
    ActionItemFilterForm,
    ActionItemForm,
    ConfirmForm,
    HoldForm,
    ItemTransitionForm,
    ReasonForm,
    ReviewCreateForm,
    ReviewFilterForm,
    owner_choices,
)
from .models import ITEM_TRANSITIONS, ActionItem, Review

PER_PAGE = 25


def _client_id(request) -> int | None:
    membership = request.membership
    return membership.client_id if membership.is_client_side else None


def _review_or_404(request, pk: int) -> Review:
    try:
        return selectors.review_get(review_id=pk, client_id=_client_id(request))
    except Review.DoesNotExist as exc:
        raise Http404 from exc


def _item_or_404(review: Review, item_pk: int) -> ActionItem:
    item = next((i for i in review.items.all() if i.pk == item_pk), None)
    if item is None:
        raise Http404
    return item


REVIEW_SORT = ColumnSort({
    "contract": ("contract__number", "period_end"), "kind": ("kind", "period_end"), "period": ("period_end",),
    "meeting": ("meeting_on", "period_end"), "state": ("state", "period_end"), "items": ("open_item_count", "period_end"),
}, default="-period")


def _list(request, *, template: str, client_id: int | None):
    form = ReviewFilterForm(request.GET or None, portal=client_id is not None)
    filters = form.filters()
    reviews = selectors.review_list(client_id=client_id, **filters)
    reviews, sort = REVIEW_SORT.apply(reviews, request.GET.get("sort"))
    page = Paginator(reviews, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {"page": page, "filter_form": form, "filtered": any(filters.values()),
                                      "sort": sort})


@provider_page
def review_list(request):
    return _list(request, template="reviews/review_list.html", client_id=None)


@client_page
def portal_review_list(request):
    return _list(request, template="reviews/portal_review_list.html", client_id=request.membership.client_id)


ITEM_SORT = ColumnSort({
    "due": ("due_date", "created_at"), "contract": ("review__contract__number", "due_date"),
    "owner": ("owner__last_name", "owner__first_name", "owner__username", "due_date"),
    "state": ("state", "due_date"), "created": ("created_at",),
}, default="due")


def _items(request, *, template: str, client_id: int | None):
    """The action items of every review in one register: open ones first by due date (undated last),
    overdue, done, dropped or all on request, whose and of which contract."""
    form = ActionItemFilterForm(request.GET or None, portal=client_id is not None)
    filters = form.filters()
    today = request.tenant.today()
    items = selectors.action_item_list(today=today, client_id=client_id, **filters)
    items, sort = ITEM_SORT.apply(items, request.GET.get("sort"))
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {"page": page, "filter_form": form, "sort": sort, "show": filters["show"],
                                      "today": today, "portal": client_id is not None})


@provider_page
def item_list(request):
    return _items(request, template="reviews/item_list.html", client_id=None)


@client_page
def portal_item_list(request):
    return _items(request, template="reviews/item_list.html", client_id=request.membership.client_id)


@provider_page(roles=CONTRACT_MANAGERS)
def review_create(request):
    form = ReviewCreateForm(request.POST or None, initial={"contract": request.GET.get("contract")})
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The review is scheduled."))
            return redirect("reviews:review-detail", review.pk)
    return render(request, "reviews/review_form.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)


def _detail_context(request, review: Review, **extra) -> dict:
    manager = not request.membership.is_client_side and request.membership.role in CONTRACT_MANAGERS
    return {
        "review": review, "report": reports.presented(selectors.review_report(review)),
        "items": list(review.items.all()), "timeline": selectors.review_timeline(review=review),
        "manager": manager, "confirmation": getattr(review, "confirmation", None), **extra,
    }


def _render_detail(request, review: Review, *, status: int = 200, **forms):
    context = _detail_context(request, review, **forms)
    if request.membership.is_client_side:
        context.setdefault("confirm_form", ConfirmForm())
        context["may_confirm"] = services.may_confirm(request.user, review)
        return render(request, "reviews/portal_review_detail.html", context, status=status)
    context.setdefault("hold_form", HoldForm())
    context.setdefault("cancel_form", ReasonForm())
    context.setdefault("item_form", ActionItemForm(client_id=review.client_id))
    owners = list(owner_choices(review.client_id)) if context["items"] else []
    context["item_forms"] = [(item, ActionItemForm(client_id=review.client_id, owners=owners, prefix=f"item{item.pk}", initial={
        "what": item.what, "owner": item.owner_id, "due_date": item.due_date, "evidence_note": item.evidence_note}))
        for item in context["items"]]
    return render(request, "reviews/review_detail.html", context, status=status)


@provider_page
def review_detail(request, pk: int):
    return _render_detail(request, _review_or_404(request, pk))


def _refused(request, review: Review, error: DomainError, **forms):
    if isinstance(error, ActionForbidden):
        raise PermissionDenied(str(error.message))
    for message in error.messages:
        messages.error(request, str(message))
    return _render_detail(request, _review_or_404(request, review.pk), status=error.status, **forms)


@provider_page(roles=CONTRACT_MANAGERS)
@require_POST
def review_transition(request, pk: int, name: str):
    review = _review_or_404(request, pk)
    forms = {}
    try:
        if name in services.TRANSITION_SERVICES:
            services.TRANSITION_SERVICES[name](review=review, actor=request.user)
        elif name == "hold":
            form = forms["hold_form"] = HoldForm(request.POST)
            if not form.is_valid():
                return _render_detail(request, review, status=400, **forms)
            services.review_hold(review=review, actor=request.user, data=services.HoldInput(**form.cleaned_data))
        elif name == "cancel":
            form = forms["cancel_form"] = ReasonForm(request.POST)
            if not form.is_valid():
                return _render_detail(request, review, status=400, **forms)
            services.review_cancel(review=review, actor=request.user, reason=form.cleaned_data["reason"])
        elif name == "reschedule":
            services.review_reschedule(review=review, actor=request.user,
                                       proposed_meeting_date=request.POST.get("proposed_meeting_date"))
        else:
            raise Http404
    except DomainError as error:
        return _refused(request, review, error, **forms)
    messages.success(request, _("Done."))
    return redirect("reviews:review-detail", review.pk)


@provider_page(roles=CONTRACT_MANAGERS)
@require_POST
def item_create(request, pk: int):
    review = _review_or_404(request, pk)
    form = ActionItemForm(request.POST, client_id=review.client_id)
    if not form.is_valid():
        return _render_detail(request, review, status=400, item_form=form)
    data = form.cleaned_data
    try:
        services.action_item_create(review=review, actor=request.user, what=data["what"], owner=data["owner"],
                                    due_date=data["due_date"], evidence_note=data["evidence_note"])
    except DomainError as error:
        add_domain_error(form, error)
        return _refused(request, review, error, item_form=form)
    messages.success(request, _("The action item is added."))
    return redirect("reviews:review-detail", review.pk)


@member_required
@require_POST
def item_update(request, pk: int, item_pk: int):
    review = _review_or_404(request, pk)
    item = _item_or_404(review, item_pk)
    form = ActionItemForm(request.POST, request.FILES, client_id=review.client_id, prefix=f"item{item.pk}")
    if not form.is_valid():
        return _render_detail(request, review, status=400)
    data = form.cleaned_data
    manager = request.membership.role in CONTRACT_MANAGERS
    plan = {"what": data["what"], "owner": data["owner"], "due_date": data["due_date"]} if manager else {}
    try:
        services.action_item_update(item=item, actor=request.user, evidence_note=data["evidence_note"],
                                    evidence_file=data["evidence_file"], **plan)
    except DomainError as error:
        return _refused(request, review, error)
    messages.success(request, _("The action item is saved."))
    return redirect(_back(request, review))


@member_required
@require_POST
def item_transition(request, pk: int, item_pk: int, name: str):
    review = _review_or_404(request, pk)
    item = _item_or_404(review, item_pk)
    if name not in ITEM_TRANSITIONS:
        raise Http404
    form = ItemTransitionForm(request.POST)
    form.is_valid()
    try:
        services.action_item_transition(item=item, actor=request.user, name=name,
                                        note=form.cleaned_data.get("note", ""))
    except DomainError as error:
        return _refused(request, review, error)
    messages.success(request, _("Done."))
    return redirect(_back(request, review))


def _back(request, review: Review) -> str:
    if request.membership.is_client_side:
        return f"/portal/reviews/{review.pk}/"
    return f"/reviews/{review.pk}/"


@member_required
def report_pdf(request, pk: int):
    review = _review_or_404(request, pk)
    language = request.GET.get("lang") or request.LANGUAGE_CODE
    pdf = reports.render_pdf(review, language=language if language in reports.LANGUAGES else "ru")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{reports.filename(review, "pdf")}"'
    response["Cache-Control"] = "private, no-store"
    return response


@provider_page
def report_csv(request, pk: int):
    review = _review_or_404(request, pk)
    response = HttpResponse(reports.render_csv(selectors.review_report(review), language=get_language()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{reports.filename(review, "csv")}"'
    return response


@client_page
def portal_review_detail(request, pk: int):
    return _render_detail(request, _review_or_404(request, pk))


@client_page
@require_POST
def portal_review_confirm(request, pk: int):
    review = _review_or_404(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, review, status=400, confirm_form=form)
    try:
        services.review_confirm(review=review, actor=request.user, data=services.ConfirmInput(
            password=form.cleaned_data["password"], consent=form.cleaned_data["consent"],
            ip_address=request.META.get("REMOTE_ADDR") or None, user_agent=request.headers.get("User-Agent", "")),
            via="portal")
    except DomainError as error:
        add_domain_error(form, error) if not isinstance(error, ActionForbidden) else None
        return _refused(request, review, error, confirm_form=form)
    messages.success(request, _("Thank you: the minutes and the plan are confirmed."))
    return redirect("reviews:portal-review-detail", review.pk)
