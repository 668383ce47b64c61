"""Browser pages of acts: the provider's list, assembly and act page; the client portal's acts to
sign; and the public verification page.

Every lookup goes through the tenant (and, for a client user, their client, with drafts hidden):
"not yours" is the same 404 as "does not exist". PDFs go out only through the views here, never
from a public media URL. Views read through confirmations.selectors and write only through
confirmations.services.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from tenancy.decorators import client_page, is_htmx, member_required, provider_page
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.forms import add_domain_error
from tenancy.roles import CONTRACT_MANAGERS
from tenancy.sorting import ColumnSort

from . import selectors, services
from .forms import ActCreateForm, ActLineFormSet, DisputeForm, SignForm, VerifyForm
from .models import Act, ActState, CorrectiveAction, SignatureEvidence
from .services import EDITABLE_STATES, PLAN_MAX_LENGTH, SignInput

PER_PAGE = 25


def request_ip(request) -> str | None:
    """The client's address as the server saw it (a proxy in front sets REMOTE_ADDR for us)."""
    return request.META.get("REMOTE_ADDR") or None


def pdf_response(field_file, filename: str, *, inline: bool = False) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="application/pdf", as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _client_id(request) -> int | None:
    membership = request.membership
    return membership.client_id if membership.is_client_side else None


def _act_or_404(request, pk: int) -> Act:
    try:
        return selectors.act_get(act_id=pk, client_id=_client_id(request))
    except Act.DoesNotExist as exc:
        raise Http404 from exc


def _act_url(request, act: Act) -> str:
    name = "confirmations:portal-act-detail" if request.membership.is_client_side else "confirmations:act-detail"
    return reverse(name, args=[act.pk])


def _refusal(request, error: DomainError) -> None:
    for message in error.messages:
        messages.error(request, str(message))


# --- lists ------------------------------------------------------------------------------------

ACT_SORT = ColumnSort({
    "number": ("number",), "contract": ("contract__number", "number"), "client": ("client__name", "number"),
    "period": ("period_start", "number"), "amount": ("amount", "number"), "state": ("state", "number"),
    "accept_by": ("accept_by", "number"),
}, default="-period")


def _list(request, *, template: str, client_id: int | None):
    state = request.GET.get("state", "")
    if state not in ActState.values:
        state = ""
    acts, sort = ACT_SORT.apply(selectors.act_list(client_id=client_id, state=state), request.GET.get("sort"))
    page = Paginator(acts, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {"page": page, "state": state, "states": ActState.choices, "sort": sort})


@provider_page
def act_list(request):
    return _list(request, template="confirmations/act_list.html", client_id=None)


@client_page
def portal_act_list(request):
    return _list(request, template="confirmations/portal_act_list.html", client_id=request.membership.client_id)


# --- the provider's pages ---------------------------------------------------------------------

@provider_page(roles=CONTRACT_MANAGERS)
def act_create(request):
    form = ActCreateForm(request.POST or None, initial={"contract": request.GET.get("contract")})
    if request.method == "POST" and form.is_valid():
        try:
            act = services.act_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Draft act %(number)s is ready: check the lines and send it.")
                             % {"number": act.number})
            return redirect("confirmations:act-detail", act.pk)
    return render(request, "confirmations/act_form.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)


def _lines_formset(act: Act, data=None):
    initial = [{"order": line.order_id, "description": line.description, "quantity": line.quantity,
                "unit_price": line.unit_price} for line in act.lines.all()]
    return ActLineFormSet(data, initial=initial, prefix="lines")


def _detail(request, act: Act, *, template: str, status: int = 200, **extra):
    context = {"act": act, "busy": selectors.act_is_busy(act), "timeline": selectors.act_timeline(act=act),
               "lines": act.lines.all(), **extra}
    return render(request, template, context, status=status)


@provider_page
def act_detail(request, pk: int):
    act = _act_or_404(request, pk)
    manager = request.membership.role in CONTRACT_MANAGERS
    editable = act.state in EDITABLE_STATES and manager
    return _detail(request, act, template="confirmations/act_detail.html",
                   formset=_lines_formset(act) if editable else None, editable=editable,
                   can_rerender=manager and act.state == ActState.SENT and not act.pdf_sha256)


@provider_page(roles=CONTRACT_MANAGERS)
@require_POST
def act_lines(request, pk: int):
    act = _act_or_404(request, pk)
    formset = _lines_formset(act, request.POST)
    if formset.is_valid():
        orders = {line.order_id: line.order for line in act.lines.all() if line.order_id}
        lines = [{**form.cleaned_data, "order": orders.get(form.cleaned_data.get("order"))}
                 for form in formset.forms
                 if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("description")]
        try:
            services.act_update(act=act, actor=request.user, lines=lines)
        except DomainError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("The lines are saved."))
            return redirect("confirmations:act-detail", act.pk)
    return _detail(request, act, template="confirmations/act_detail.html", formset=formset, editable=True,
                   status=400)


@provider_page(roles=CONTRACT_MANAGERS)
@require_POST
def act_send(request, pk: int):
    act = _act_or_404(request, pk)
    preparing = act.state == ActState.SENT and not act.pdf_sha256
    try:
        act = services.act_send(act=act, actor=request.user)
    except DomainError as error:
        _refusal(request, error)
    else:
        if preparing:
            messages.success(request, _("The PDF of act %(number)s is queued again.") % {"number": act.number})
            return redirect("confirmations:act-detail", act.pk)
        messages.success(request, _("Act %(number)s (revision %(revision)s) is sent; its PDF is being prepared.")
                         % {"number": act.number, "revision": act.revision})
    return redirect("confirmations:act-detail", act.pk)


# --- shared by both sides ---------------------------------------------------------------------

@member_required
def act_status(request, pk: int):
    """The act's state and PDF links; the act page polls it with htmx while a PDF is being prepared."""
    act = _act_or_404(request, pk)
    busy = selectors.act_is_busy(act)
    response = render(request, "confirmations/_status.html", {"act": act, "busy": busy})
    if request.GET.get("poll") and not busy:
        response["HX-Refresh"] = "true"  # done: reload the page, which now offers the PDF and the next steps
    return response


@member_required
@xframe_options_sameorigin
def act_pdf(request, pk: int):
    act = _act_or_404(request, pk)
    if not act.pdf_sha256:
        raise Http404
    return pdf_response(act.pdf, f"{act.number}.pdf", inline=request.GET.get("inline") == "1")


@member_required
def act_sealed_pdf(request, pk: int):
    act = _act_or_404(request, pk)
    if not act.sealed_sha256:
        raise Http404
    return pdf_response(act.sealed_pdf, f"{act.number}-signed.pdf")


# --- the client portal ------------------------------------------------------------------------

def _rated_orders(act: Act):
    return [line.order for line in act.lines.all() if line.order_id]


def _chosen_method(request) -> dict:
    """`?method=email_code` (where "Send code" without JS comes back to) opens the form on that method."""
    method = request.GET.get("method", "")
    return {"method": method} if method in SignatureEvidence.Method.values else {}


def _portal_detail(request, act: Act, *, sign_form=None, dispute_form=None, status: int = 200):
    can_sign = act.state == ActState.SENT and services.is_signatory(request.user, act)
    return _detail(request, act, template="confirmations/portal_act_detail.html", status=status,
                   can_sign=can_sign,
                   sign_form=sign_form or SignForm(orders=_rated_orders(act), initial=_chosen_method(request)),
                   dispute_form=dispute_form or DisputeForm())


@client_page
def portal_act_detail(request, pk: int):
    return _portal_detail(request, _act_or_404(request, pk))


@client_page
@require_POST
def portal_act_sign(request, pk: int):
    act = _act_or_404(request, pk)
    form = SignForm(request.POST, orders=_rated_orders(act))
    if form.is_valid():
        data = SignInput(
            rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"],
            order_ratings=form.order_ratings(), consent=form.cleaned_data["consent"],
            method=form.cleaned_data["method"], password=form.cleaned_data["password"],
            code=form.cleaned_data["code"], ip_address=request_ip(request),
            user_agent=request.headers.get("User-Agent", ""))
        try:
            services.act_sign(act=act, actor=request.user, data=data, via="portal")
        except TransitionRefused as error:
            _refusal(request, error)
            return redirect("confirmations:portal-act-detail", act.pk)
        except ActionForbidden as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            form.add_error(form.field_for(error.field), str(error.message))
        else:
            messages.success(request, _("You signed act %(number)s. Thank you!") % {"number": act.number})
            return redirect("confirmations:portal-act-detail", act.pk)
    return _portal_detail(request, act, sign_form=form, status=400)


@client_page
@require_POST
def portal_act_code(request, pk: int):
    """Email a one-time code. From the sign form's "Send code" button via htmx: the line under the
    code field says where it went or why not (the page stays as it is); without JS: back to the page."""
    act = _act_or_404(request, pk)
    htmx = is_htmx(request)
    try:
        services.signing_code_send(act=act, actor=request.user)
    except ActionForbidden as error:
        raise PermissionDenied(str(error.message)) from error
    except DomainError as error:
        if htmx:
            return render(request, "confirmations/_code_status.html", {"code_error": str(error.message)})
        _refusal(request, error)
    else:
        minutes = int(services.CODE_TTL.total_seconds() // 60)
        if htmx:
            return render(request, "confirmations/_code_status.html",
                          {"code_sent_to": request.user.email, "code_minutes": minutes})
        messages.success(request, ngettext("Code sent to %(email)s, valid %(minutes)s minute.",
                                           "Code sent to %(email)s, valid %(minutes)s minutes.", minutes)
                         % {"email": request.user.email, "minutes": minutes})
    return redirect(reverse("confirmations:portal-act-detail", args=[act.pk]) + "?method=email_code#sign")


@client_page
@require_POST
def portal_act_dispute(request, pk: int):
    act = _act_or_404(request, pk)
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            services.act_dispute(act=act, actor=request.user, reason=form.cleaned_data["reason"], via="portal")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Act %(number)s is disputed and goes back to %(provider)s.")
                             % {"number": act.number, "provider": request.tenant.name})
            return redirect("confirmations:portal-act-detail", act.pk)
    return _portal_detail(request, act, dispute_form=form, status=400)


# --- corrective actions ----------------------------------------------------------------------

ACTION_FILTERS = [("open", gettext_lazy("Open")), ("closed", gettext_lazy("Closed")), ("all", gettext_lazy("All"))]


class PlanForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Plan"), max_length=PLAN_MAX_LENGTH, strip=True,
                           widget=forms.Textarea(attrs={"rows": 3}))


def _plan_form(action: CorrectiveAction, data=None) -> PlanForm:
    return PlanForm(data, initial={"note": action.note}, auto_id=f"id_action{action.pk}_%s")


def _actions_page(request, *, show: str, page_number=None, bound: tuple[CorrectiveAction, PlanForm] | None = None,
                  status: int = 200):
    state = "" if show == "all" else show
    actions = selectors.corrective_action_list(state=state).select_related("closed_by__act")
    page = Paginator(actions, PER_PAGE).get_page(page_number)
    listed = list(page)
    if bound and bound[0].pk not in {action.pk for action in listed}:
        listed.insert(0, bound[0])  # the refused form is shown even if its row moved off this page
    rows = []
    for action in listed:
        form = None
        if services.may_update_plan(request.user, action):
            form = bound[1] if bound and bound[0].pk == action.pk else _plan_form(action)
        rows.append((action, form))
    return render(request, "confirmations/corrective_actions.html", {
        "page": page, "rows": rows, "show": show, "filters": ACTION_FILTERS,
    }, status=status)


def _show(value: str) -> str:
    return value if value in dict(ACTION_FILTERS) else "open"


@provider_page
def corrective_action_list(request):
    """The corrective actions that low ratings opened: open ones by default, closed or all on request."""
    return _actions_page(request, show=_show(request.GET.get("state", "")), page_number=request.GET.get("page"))


@provider_page
@require_POST
def corrective_action_plan(request, pk: int):
    try:
        action = selectors.corrective_action_list().select_related("closed_by__act").get(pk=pk)
    except CorrectiveAction.DoesNotExist as exc:
        raise Http404 from exc
    if not services.may_update_plan(request.user, action):
        raise PermissionDenied
    show = _show(request.POST.get("show", ""))
    form = _plan_form(action, request.POST)
    if form.is_valid():
        try:
            services.corrective_action_update_plan(action=action, actor=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The plan for %(contract)s is saved.") % {"contract": action.contract.number})
            page = request.POST.get("page", "")
            query = f"?state={show}" + (f"&page={page}" if page.isdigit() else "")
            return redirect(reverse("confirmations:corrective-action-list") + f"{query}#action-{action.pk}")
    return _actions_page(request, show=show, page_number=request.POST.get("page"), bound=(action, form), status=400)


# --- public verification ----------------------------------------------------------------------

def verify(request):
    """Anyone may check a PDF of an act against the platform: no login. Whatever is uploaded gets an
    answer: a result card, or the form with what is wrong with the file (too large: 413)."""
    from .api.viewsets import MULTIPART_SLACK, verification_body

    result = None
    status = 200
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if request.method == "POST" and declared.isdigit() and int(declared) > services.MAX_VERIFY_BYTES + MULTIPART_SLACK:
        form = VerifyForm(data={})  # the body is not read: the form shows only what is wrong with it
        form.is_valid()
        form.errors["file"] = form.error_class([str(services.FileTooLarge().message)])
        return render(request, "confirmations/verify.html", {"form": form}, status=413)
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            verification = services.act_verify(pdf=upload.read(services.MAX_VERIFY_BYTES + 1))
        except services.FileTooLarge as error:
            form.add_error("file", str(error.message))
            status = error.status
        else:
            result = verification_body(verification)
            if not verification.is_pdf:
                form.add_error("file", result["message"])
                result, status = None, 400
            else:
                result["method_label"] = dict(SignatureEvidence.Method.choices).get(result["method"], "")
                act = verification.act
                confirmation = getattr(act, "confirmation", None) if act is not None else None
                result["rating"] = confirmation.rating if confirmation is not None else None
                result["zone"] = act.tenant.time_zone if act is not None else "UTC"
                status = 200 if result["genuine"] else 400
    elif form.is_bound:
        status = 400
    template = "confirmations/_verify_result.html" if is_htmx(request) and result else "confirmations/verify.html"
    return render(request, template, {"form": form, "result": result}, status=status)
