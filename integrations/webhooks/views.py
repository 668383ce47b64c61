"""Pages of webhooks: the endpoints and the form that registers one, the page that shows a new
secret once, an endpoint's settings and its delivery log (replay, test event, rotate, delete).

Tenant administrators (every endpoint) and client administrators (their client's) only; every
change is a POST through a service. Another tenant's or client's endpoint answers 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tenancy.decorators import member_required
from tenancy.errors import DomainError
from tenancy.forms import add_domain_error

from . import selectors, services
from .forms import EndpointEditForm, EndpointForm, RotateForm
from .models import Delivery, Endpoint


def webhook_page(view):
    """A member who manages webhooks: the tenant's administrator or a client administrator."""

    @member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.webhook_client_id = services.manager_scope(request.user)
        except DomainError as exc:
            raise PermissionDenied from exc
        return view(request, *args, **kwargs)

    return wrapped


def _endpoint(request, pk: int) -> Endpoint:
    try:
        return selectors.endpoint_list(client_id=request.webhook_client_id).get(pk=pk)
    except Endpoint.DoesNotExist as exc:
        raise Http404 from exc


@webhook_page
def endpoint_list(request):
    form = EndpointForm(request.POST or None, client_id=request.webhook_client_id)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # the secret is shown on a page of its own, once: a reload there shows it no more
            return redirect("webhooks:webhook-secret", pk=endpoint.pk)
    endpoints = selectors.endpoint_list(client_id=request.webhook_client_id)
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoints, "form": form},
                  status=400 if form.errors else 200)


@webhook_page
@never_cache
def endpoint_secret(request, pk: int):
    endpoint = _endpoint(request, pk)
    secret = services.secret_reveal(endpoint=endpoint, actor=request.user)
    return render(request, "webhooks/endpoint_secret.html", {"endpoint": endpoint, "secret": secret})


@webhook_page
def endpoint_detail(request, pk: int):
    endpoint = _endpoint(request, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types,
               "is_active": endpoint.is_active}
    form = EndpointEditForm(request.POST or None, initial=initial, client_id=endpoint.client_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhooks:webhook-detail", pk=endpoint.pk)
    deliveries = Paginator(selectors.delivery_list(client_id=request.webhook_client_id, endpoint=endpoint), 25)
    page = deliveries.get_page(request.GET.get("page"))
    return render(request, "webhooks/endpoint_detail.html",
                  {"endpoint": endpoint, "form": form, "rotate_form": RotateForm(), "page": page},
                  status=400 if form.errors else 200)


def _act(request, pk: int, work, done: str):
    endpoint = _endpoint(request, pk)
    try:
        result = work(endpoint)
    except DomainError as error:
        if error.status == 403:
            raise PermissionDenied(str(error.message)) from error
        messages.error(request, str(error.message))
        return redirect("webhooks:webhook-detail", pk=endpoint.pk)
    if done:
        messages.success(request, done)
    return result or redirect("webhooks:webhook-detail", pk=endpoint.pk)


@webhook_page
@require_POST
def endpoint_test(request, pk: int):
    def send_test(endpoint):
        services.endpoint_send_test(endpoint=endpoint, actor=request.user)

    return _act(request, pk, send_test, _("A test event is on its way; its attempt appears below."))


@webhook_page
@require_POST
def endpoint_rotate(request, pk: int):
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("overlap_hours", [])))
        return redirect("webhooks:webhook-detail", pk=_endpoint(request, pk).pk)

    def rotate(endpoint):
        services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user,
                                        overlap_hours=form.cleaned_data["overlap_hours"])
        return redirect("webhooks:webhook-secret", pk=endpoint.pk)

    return _act(request, pk, rotate, "")


@webhook_page
@require_POST
def endpoint_delete_view(request, pk: int):
    def delete(endpoint):
        services.endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, _("The endpoint is deleted."))
        return redirect("webhooks:webhook-list")

    return _act(request, pk, delete, "")


@webhook_page
@require_POST
def delivery_replay_view(request, pk: int, delivery_pk: int):
    def replay(endpoint):
        try:
            delivery = selectors.delivery_list(client_id=request.webhook_client_id, endpoint=endpoint).get(
                pk=delivery_pk)
        except Delivery.DoesNotExist as exc:
            raise Http404 from exc
        services.delivery_replay(delivery=delivery, actor=request.user)

    return _act(request, pk, replay, _("The delivery is sent again."))
