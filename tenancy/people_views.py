"""Browser pages about people: the members page and its invitations (tenant administrators), the
page that accepts an invitation (anyone holding the link), and one's own profile (everyone)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import people
from .decorators import provider_page
from .errors import DomainError
from .forms import add_domain_error
from .middleware import SESSION_KEY
from .models import Invitation, Membership
from .password_forms import LocalisedPasswordResetForm
from .people_forms import AcceptInvitationForm, InvitationForm, MemberForm, ProfileForm
from .preferences import remember_preferences
from .roles import TENANT_ADMINS, Role
from .selectors import invitation_open_list, member_events, member_get, member_list


def _members_page(request, *, form=None, status=200):
    form = form or InvitationForm(initial={"language": request.LANGUAGE_CODE, "role": Role.ENGINEER})
    return render(request, "tenancy/members.html", {
        "members": member_list(), "invitations": invitation_open_list(), "form": form,
    }, status=status)


@provider_page(roles=TENANT_ADMINS)
@never_cache
def members(request):
    """The tenant's members (active and deactivated), its open invitations and the invitation form."""
    return _members_page(request)


@provider_page(roles=TENANT_ADMINS)
@require_POST
def invitation_create(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, _raw = people.invitation_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("An invitation has been sent to %(email)s.") % {"email": invitation.email})
            return redirect("tenancy:members")
    return _members_page(request, form=form, status=400)


def _member(pk: int) -> Membership:
    try:
        return member_get(membership_id=pk)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


def _member_page(request, membership, *, form=None, error: str = "", status=200):
    form = form or MemberForm(initial={"role": membership.role, "client": membership.client_id})
    return render(request, "tenancy/member_detail.html", {
        "member": membership, "form": form, "events": _timeline(membership), "error": error,
        "is_self": membership.user_id == request.user.pk,
    }, status=status)


def _timeline(membership) -> list:
    """The membership's events, each role change with its fields named and roles by their labels."""
    roles = dict(Role.choices)
    events = list(member_events(membership))
    for event in events:
        changes = (event.data or {}).get("changes", {})
        event.changes = [
            (_("Role"), roles.get(old, old), roles.get(new, new)) if name == "role" else (_("Client"), old, new)
            for name, (old, new) in changes.items()
        ]
    return events


@provider_page(roles=TENANT_ADMINS)
@never_cache
def member_detail(request, pk: int):
    """One member: change the role (and client), see the membership's history."""
    membership = _member(pk)
    if request.method != "POST":
        return _member_page(request, membership)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            people.membership_change_role(membership=membership, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The role of %(name)s is saved.") % {"name": _name(membership.user)})
            return redirect("tenancy:member-detail", pk=membership.pk)
    return _member_page(request, membership, form=form, status=400)


@provider_page(roles=TENANT_ADMINS)
@require_POST
def member_set_active(request, pk: int):
    membership = _member(pk)
    active = request.POST.get("active")
    if active not in ("0", "1"):
        return _member_page(request, membership, error=_("Choose to deactivate or to reactivate."), status=400)
    try:
        people.membership_set_active(membership=membership, actor=request.user, active=active == "1")
    except DomainError as error:
        if error.status == 403:
            raise
        return _member_page(request, membership, error=str(error.message), status=400)
    if active == "1":
        messages.success(request, _("%(name)s can work in the organisation again.") % {"name": _name(membership.user)})
    else:
        messages.success(request, _("%(name)s is deactivated: they no longer have access.")
                         % {"name": _name(membership.user)})
    return redirect("tenancy:member-detail", pk=membership.pk)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _open_invitation(pk: int) -> Invitation:
    try:
        return invitation_open_list().get(pk=pk)
    except Invitation.DoesNotExist as exc:
        raise Http404 from exc


@provider_page(roles=TENANT_ADMINS)
@require_POST
def invitation_resend(request, pk: int):
    invitation = _open_invitation(pk)
    people.invitation_resend(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation has been sent again to %(email)s with a new link.")
                     % {"email": invitation.email})
    return redirect("tenancy:members")


@provider_page(roles=TENANT_ADMINS)
@require_POST
def invitation_revoke(request, pk: int):
    invitation = _open_invitation(pk)
    people.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation to %(email)s is revoked: its link no longer works.")
                     % {"email": invitation.email})
    return redirect("tenancy:members")


# --- accepting an invitation ----------------------------------------------------------------------


def _gone(request, error: people.InvitationGone):
    status = 404 if error.code == "unknown" else 410
    return render(request, "tenancy/invitation_gone.html", {"message": error.message, "code": error.code},
                  status=status)


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept(request, token: str):
    """The page an invitation's link opens: a new person sets a password and is signed in; the
    owner of an existing account with the invited address signs in and joins."""
    try:
        found = people.invitation_find(token)
    except people.InvitationGone as error:
        return _gone(request, error)
    invitation = found.invitation
    user = request.user if request.user.is_authenticated else None
    is_invitee = user is not None and (user.email or "").lower() == invitation.email
    context = {"invitation": invitation, "existing": found.existing_user is not None, "is_invitee": is_invitee,
               "token": token}
    if found.existing_user is not None:
        form = None
        if request.method == "POST" and is_invitee:
            return _accept(request, token, user=user, context=context)
        status = 403 if request.method == "POST" else 200
        return render(request, "tenancy/invitation_accept.html", {**context, "form": form}, status=status)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        return _accept(request, token, password=form.cleaned_data["password1"], context={**context, "form": form})
    status = 400 if form.errors else 200
    return render(request, "tenancy/invitation_accept.html", {**context, "form": form}, status=status)


def _accept(request, token: str, *, user=None, password: str = "", context: dict):
    try:
        membership = people.invitation_accept(raw_token=token, user=user, password=password)
    except people.InvitationGone as error:
        return _gone(request, error)
    except DomainError as error:
        return render(request, "tenancy/invitation_accept.html", {**context, "error": str(error.message)},
                      status=error.status)
    if user is None:
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = membership.tenant_id
    messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": context["invitation"].tenant.name})
    return redirect("home")


# --- one's own profile ----------------------------------------------------------------------------


@login_required
@never_cache
def profile(request):
    """One's name, address, language and time zone, and the way to a new password."""
    own = people.profile_of(request.user)
    zone = request.tenant.time_zone if request.tenant else ""
    initial = {"first_name": request.user.first_name, "last_name": request.user.last_name,
               "email": request.user.email, "language": own.language, "time_zone": own.time_zone}
    form = ProfileForm(request.POST or None, initial=initial, organisation_zone=zone)
    if request.method == "POST" and form.is_valid():
        try:
            saved = people.profile_update(user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            remember_preferences(request, saved)
            response = redirect("tenancy:profile")
            if saved.language:
                _language_cookie(response, saved.language)
                translation.activate(saved.language)  # the message is read on the next page, in it
            else:  # the browser's choice again: its Accept-Language, not an old switcher's cookie
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                                       domain=settings.LANGUAGE_COOKIE_DOMAIN)
            messages.success(request, _("Your profile is saved."))
            return response
    status = 400 if form.errors else 200
    return render(request, "tenancy/profile.html", {"form": form}, status=status)


def _language_cookie(response, language: str) -> None:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                        samesite=settings.LANGUAGE_COOKIE_SAMESITE)


def set_language(request):
    """Django's language switcher, which for a signed-in person also keeps the choice in their
    profile (so it holds on their next sign-in and in their e-mails)."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and response.status_code in (200, 302) and language:
        people.profile_set_language(user=request.user, language=language)
        remember_preferences(request, people.profile_of(request.user))
    return response



class PasswordResetView(auth_views.PasswordResetView):
    """Django's view with the localised, capped form (it needs the client's address)."""

    form_class = LocalisedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "address": self.request.META.get("REMOTE_ADDR")}
