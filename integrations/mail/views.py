"""Pages of e-mail in and out, for the tenant's administrators.

- /mail/inbound/: the messages received (held ones first to review), the tenant's inbound address;
- /mail/inbound/<id>/: one message; a held one is turned into an order on a chosen contract, or
  discarded with a reason (both recorded on the message);
- /mail/outbound/: every e-mail sent or failing, with its attempts and last error.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.decorators import provider_page
from tenancy.errors import DomainError
from tenancy.forms import add_domain_error
from tenancy.mail import inbound_address
from tenancy.models import OutboundMessage
from tenancy.roles import TENANT_ADMINS

from .forms import ConvertForm, DiscardForm
from .models import InboundMessage, InboundState
from .selectors import inbound_get, inbound_list, outbound_list
from .services import inbound_convert, inbound_discard

PER_PAGE = 50


def _state(request, choices) -> str:
    state = request.GET.get("state", "")
    return state if state in dict(choices) else ""


@provider_page(roles=TENANT_ADMINS)
def inbound_list_view(request):
    state = _state(request, InboundState.choices) if "state" in request.GET else InboundState.HELD
    page = Paginator(inbound_list(state=state), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mail/inbound_list.html", {
        "page": page, "state": state, "states": InboundState.choices,
        "address": inbound_address(request.tenant),
    })


def _message(pk: int) -> InboundMessage:
    try:
        return inbound_get(message_id=pk)
    except InboundMessage.DoesNotExist as exc:
        raise Http404 from exc


def _detail(request, message, *, convert_form=None, discard_form=None, status=200):
    return render(request, "mail/inbound_detail.html", {
        "message": message,
        "convert_form": convert_form or ConvertForm(),
        "discard_form": discard_form or DiscardForm(),
    }, status=status)


@provider_page(roles=TENANT_ADMINS)
def inbound_detail_view(request, pk: int):
    return _detail(request, _message(pk))


@provider_page(roles=TENANT_ADMINS)
@require_POST
def inbound_convert_view(request, pk: int):
    message = _message(pk)
    form = ConvertForm(request.POST)
    if form.is_valid():
        try:
            message = inbound_convert(message=message, actor=request.user, contract=form.cleaned_data["contract"],
                                      note=form.cleaned_data["note"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Order %(number)s was raised from the e-mail.") % {"number": message.order.number})
            return redirect("mail:inbound-detail", pk=message.pk)
    return _detail(request, message, convert_form=form, status=400)


@provider_page(roles=TENANT_ADMINS)
@require_POST
def inbound_discard_view(request, pk: int):
    message = _message(pk)
    form = DiscardForm(request.POST)
    if form.is_valid():
        try:
            inbound_discard(message=message, actor=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The e-mail was discarded."))
            return redirect("mail:inbound-list")
    return _detail(request, message, discard_form=form, status=400)


@provider_page(roles=TENANT_ADMINS)
def outbound_list_view(request):
    state = _state(request, OutboundMessage.State.choices)
    page = Paginator(outbound_list(state=state), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mail/outbound_list.html", {"page": page, "state": state,
                                                       "states": OutboundMessage.State.choices})
