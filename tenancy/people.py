"""Writes about people: a tenant's members (role, client, active or not), invitations by e-mail, and
each person's own profile (language, time zone).

Every change of a membership is a `MembershipEvent` (who, when, from, to), every step of an
invitation an `InvitationEvent`. An invitation's link carries the tenant's id and a random token
("<tenant id>-<token>"); only the token's SHA-256 is stored, and the token travels to the mail task
as a secret (never in the outgoing message's row). So the accept page finds the invitation inside
the tenant the link names, with no cross-tenant escape.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .context import current_tenant_id, require_tenant_id, tenant_context
from .errors import ActionForbidden, DomainError
from .mail import absolute_url, mail_queue
from .models import Invitation, InvitationEvent, Membership, MembershipEvent, UserProfile
from .roles import CLIENT_ROLES, TENANT_ADMINS, Role, has_role

INVITATION_VALID_FOR = dt.timedelta(days=7)
ACTIVE, DEACTIVATED = "active", "deactivated"


def _require_admin(actor) -> None:
    if not has_role(actor, TENANT_ADMINS):
        raise ActionForbidden(_("Only an administrator may manage the organisation's members."))


def _check_role_and_client(role: str, client) -> None:
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role", code="invalid")
    if role in CLIENT_ROLES and client is None:
        raise DomainError(_("Choose the client this person works for."), field="client", code="required")
    if role not in CLIENT_ROLES and client is not None:
        raise DomainError(_("A provider role has no client: leave the client empty."), field="client",
                          code="invalid")
    if client is not None and client.tenant_id != current_tenant_id():
        raise DomainError(_("Choose one of this organisation's clients."), field="client", code="invalid")


def _lock_active_admins() -> list[int]:
    """Lock the tenant's active admin memberships (only those rows) and return their ids: two
    administrators demoting each other at once must not leave the tenant with none."""
    return list(Membership.objects.select_for_update(of=("self",))
                .filter(role=Role.ADMIN, is_active=True).order_by("pk").values_list("pk", flat=True))


def _refuse_losing_last_admin(membership: Membership) -> None:
    if membership.role == Role.ADMIN and membership.is_active and _lock_active_admins() == [membership.pk]:
        raise DomainError(
            _("%(name)s is the organisation's last administrator: make someone else an administrator first.")
            % {"name": membership.user.get_full_name() or membership.user.get_username()},
            code="last_admin",
        )


def _locked(membership: Membership) -> Membership:
    return Membership.objects.select_for_update(of=("self",)).select_related("user", "client").get(pk=membership.pk)


# --- members ------------------------------------------------------------------------------------


# not durable: the Django admin calls these inside its own transaction
@transaction.atomic
def membership_change_role(*, membership: Membership, actor, role: str, client=None) -> Membership:
    """Give a member another role (and client, for a client role). Never one's own, never the last
    administrator's away."""
    _require_admin(actor)
    _check_role_and_client(role, client)
    membership = _locked(membership)
    if membership.role == role and membership.client_id == getattr(client, "pk", None):
        return membership
    if membership.user_id == actor.pk:
        raise DomainError(_("You cannot change your own role; ask another administrator."), field="role",
                          code="own_membership")
    if role != Role.ADMIN:
        _refuse_losing_last_admin(membership)
    changes = {"role": (membership.role, role), "client": (membership.client, client)}
    if membership.client_id == getattr(client, "pk", None):
        del changes["client"]
    if membership.role == role:
        del changes["role"]
    membership.role, membership.client = role, client
    membership.save(update_fields=["role", "client"])
    MembershipEvent.change_of(membership, kind=MembershipEvent.Kind.ROLE_CHANGED, changes=changes, actor=actor)
    return membership


@transaction.atomic
def membership_set_active(*, membership: Membership, actor, active: bool) -> Membership:
    """Deactivate (the person loses access at once, nothing of theirs is deleted) or reactivate a
    membership. Never one's own; never the last active administrator."""
    _require_admin(actor)
    membership = _locked(membership)
    if membership.is_active == active:
        return membership
    if membership.user_id == actor.pk:
        raise DomainError(_("You cannot deactivate or reactivate yourself."), field="is_active",
                          code="own_membership")
    if not active:
        _refuse_losing_last_admin(membership)
    source, target = (DEACTIVATED, ACTIVE) if active else (ACTIVE, DEACTIVATED)
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    MembershipEvent.transition_of(membership, name="reactivate" if active else "deactivate", source=source,
                                  target=target, actor=actor)
    return membership


# --- invitations --------------------------------------------------------------------------------


def _new_token(invitation: Invitation) -> str:
    raw = f"{invitation.tenant_id}-{secrets.token_urlsafe(32)}"
    invitation.token_hash = Invitation.hash_token(raw)
    return raw


def invitation_path(raw_token: str) -> str:
    return reverse("tenancy:invitation-accept", args=[raw_token])


def _send(invitation: Invitation, raw_token: str) -> None:
    inviter = invitation.invited_by
    with translation.override(invitation.language):
        role = str(invitation.get_role_display())
    mail_queue(
        template="mail/invitation", to=invitation.email, language=invitation.language,
        context={"name": invitation.name, "role": role, "client": str(invitation.client or ""),
                 "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else "",
                 "expires_at": invitation.expires_at},
        secret_context={"accept_url": absolute_url(invitation_path(raw_token))},
    )


def _existing_member(email: str) -> Membership | None:
    return Membership.objects.select_related("user").filter(user__email__iexact=email).first()


@transaction.atomic(durable=True)
def invitation_create(*, actor, email: str, role: str, client=None, first_name: str = "", last_name: str = "",
                      language: str = "") -> tuple[Invitation, str]:
    """Invite `email` to the current tenant with `role`; the e-mail with the link goes out after
    commit. An address that already has a membership here, or an open invitation, is refused; an
    expired invitation to it is revoked first. Returns the invitation and the raw token."""
    _require_admin(actor)
    email = (email or "").strip().lower()
    if not email:
        raise DomainError(_("Enter the person's e-mail address."), field="email", code="required")
    _check_role_and_client(role, client)
    member = _existing_member(email)
    if member is not None:
        message = (_("%(email)s is already a member of this organisation.") if member.is_active else
                   _("%(email)s is already a member of this organisation (deactivated): reactivate them instead."))
        raise DomainError(message % {"email": email}, field="email", code="already_member")
    now = timezone.now()
    for earlier in Invitation.objects.select_for_update(of=("self",)).filter(
            email=email, used_at__isnull=True, revoked_at__isnull=True):
        if not earlier.is_expired:
            raise DomainError(_("%(email)s has been invited already: send the invitation again instead.")
                              % {"email": email}, field="email", code="already_invited")
        earlier.revoked_at = now
        earlier.save(update_fields=["revoked_at"])
        InvitationEvent.record(earlier, kind=InvitationEvent.Kind.REVOKED, actor=actor, note="expired")
    languages = dict(settings.LANGUAGES)
    invitation = Invitation(
        email=email, first_name=(first_name or "").strip(), last_name=(last_name or "").strip(), role=role,
        client=client, language=language if language in languages else settings.LANGUAGE_CODE,
        invited_by=actor, sent_at=now, expires_at=now + INVITATION_VALID_FOR,
    )
    invitation.tenant_id = require_tenant_id()
    raw = _new_token(invitation)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:  # another administrator invited the same address a moment ago
        raise DomainError(_("%(email)s has been invited already: send the invitation again instead.")
                          % {"email": email}, field="email", code="already_invited") from exc
    InvitationEvent.record(invitation, kind=InvitationEvent.Kind.CREATED, actor=actor,
                           data={"email": email, "role": role, "client": str(client) if client else ""})
    _send(invitation, raw)
    return invitation, raw


def _locked_open(invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise DomainError(_("This invitation has been accepted already."), code="used")
    if invitation.revoked_at is not None:
        raise DomainError(_("This invitation has been revoked."), code="revoked")
    return invitation


@transaction.atomic(durable=True)
def invitation_resend(*, invitation: Invitation, actor) -> tuple[Invitation, str]:
    """Send the invitation again with a new link (the old one stops working) valid for another
    INVITATION_VALID_FOR."""
    _require_admin(actor)
    invitation = _locked_open(invitation)
    raw = _new_token(invitation)
    now = timezone.now()
    invitation.sent_at, invitation.expires_at = now, now + INVITATION_VALID_FOR
    invitation.invited_by = invitation.invited_by or actor
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "invited_by"])
    InvitationEvent.record(invitation, kind=InvitationEvent.Kind.RESENT, actor=actor)
    _send(invitation, raw)
    return invitation, raw


@transaction.atomic(durable=True)
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    _require_admin(actor)
    invitation = _locked_open(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    InvitationEvent.record(invitation, kind=InvitationEvent.Kind.REVOKED, actor=actor)
    return invitation


class InvitationGone(DomainError):
    """The link is unknown, expired, revoked or used: the accept page says which."""

    status = 410

    def __init__(self, message, *, code: str):
        super().__init__(message, code=code)


@dataclass
class OpenInvitation:
    invitation: Invitation
    tenant_id: int
    existing_user: object | None  # the account with the invited address, if there is one


def _parse(raw_token: str) -> int | None:
    tenant_id, _dash, secret = (raw_token or "").partition("-")
    return int(tenant_id) if tenant_id.isdigit() and secret else None


def invitation_find(raw_token: str) -> OpenInvitation:
    """The open invitation a link names, or InvitationGone saying why not (no escape: the lookup
    runs inside the tenant the link names, and the hash must match there)."""
    tenant_id = _parse(raw_token)
    if tenant_id is None:
        raise InvitationGone(_("This invitation link is not valid."), code="unknown")
    with tenant_context(tenant_id):
        invitation = (Invitation.objects.select_related("tenant", "client")
                      .filter(token_hash=Invitation.hash_token(raw_token)).first())
    if invitation is None:
        raise InvitationGone(_("This invitation link is not valid. It may have been replaced by a newer one."),
                             code="unknown")
    if invitation.used_at is not None:
        raise InvitationGone(_("This invitation has been accepted already. Log in to continue."), code="used")
    if invitation.revoked_at is not None:
        raise InvitationGone(_("This invitation has been revoked. Ask the administrator for a new one."),
                             code="revoked")
    if invitation.is_expired:
        raise InvitationGone(_("This invitation has expired. Ask the administrator to send it again."),
                             code="expired")
    existing = get_user_model().objects.filter(email__iexact=invitation.email).order_by("pk").first()
    return OpenInvitation(invitation=invitation, tenant_id=tenant_id, existing_user=existing)


def invitation_accept(*, raw_token: str, user=None, password: str = "") -> Membership:
    """Accept an invitation: as `user` (an existing account with the invited address, signed in),
    or, with `password`, as a new account named by the address. The membership, the account and
    the invitation's use are saved together or not at all; a second use of the link is refused."""
    found = invitation_find(raw_token)
    with transaction.atomic(durable=True), tenant_context(found.tenant_id, user=user):
        invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=found.invitation.pk)
        if invitation.used_at is not None or invitation.revoked_at is not None:
            raise InvitationGone(_("This invitation has been accepted already. Log in to continue."), code="used")
        if user is None:
            if found.existing_user is not None:
                raise DomainError(_("An account with this address exists: log in to accept."), code="log_in")
            user = _new_user(invitation, password)
        elif (user.email or "").lower() != invitation.email:
            raise ActionForbidden(_("This invitation is for %(email)s: log in with that account to accept it.")
                                  % {"email": invitation.email})
        if Membership.objects.filter(user=user).exists():
            raise InvitationGone(_("You are already a member of this organisation."), code="already_member")
        membership = Membership.objects.create(user=user, role=invitation.role, client=invitation.client)
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk).update(used_at=now, accepted_by=user)
        InvitationEvent.record(invitation, kind=InvitationEvent.Kind.ACCEPTED, actor=user)
        MembershipEvent.record(membership, kind=MembershipEvent.Kind.JOINED, actor=user,
                               data={"invitation": invitation.pk, "invited_by": invitation.invited_by_id})
        return membership


def _new_user(invitation: Invitation, password: str):
    User = get_user_model()
    if User.objects.filter(username__iexact=invitation.email).exists():
        raise DomainError(_("An account with this address exists: log in to accept."), code="log_in")
    user = User(username=invitation.email, email=invitation.email, first_name=invitation.first_name,
                last_name=invitation.last_name)
    user.set_password(password)
    user.save()
    UserProfile.objects.create(user=user, language=invitation.language)
    return user


# --- the profile --------------------------------------------------------------------------------


def profile_of(user) -> UserProfile:
    """The user's profile, made empty the first time it is asked for."""
    profile, _created = UserProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user, first_name: str, last_name: str, email: str, language: str,
                   time_zone: str) -> UserProfile:
    """A person's own name, address and preferences."""
    from django.core.exceptions import ValidationError

    from .models import validate_time_zone

    email = (email or "").strip()
    User = get_user_model()
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise DomainError(_("Another account uses this address."), field="email", code="taken")
    if language and language not in dict(settings.LANGUAGES):
        raise DomainError(_("Unknown language."), field="language", code="invalid")
    if time_zone:
        try:
            validate_time_zone(time_zone)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], field="time_zone", code="invalid") from exc
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email
    user.save(update_fields=["first_name", "last_name", "email"])
    profile = profile_of(user)
    profile.language, profile.time_zone, profile.updated_at = language, time_zone, timezone.now()
    profile.save()
    return profile


def profile_set_language(*, user, language: str) -> None:
    """The language chosen in the page's language switcher, kept for the next sign-in too."""
    if language in dict(settings.LANGUAGES):
        UserProfile.objects.update_or_create(user=user, defaults={"language": language,
                                                                  "updated_at": timezone.now()})
