"""Invitations by e-mail: an administrator invites an address with a role; the mail's link lets a
new person set a password and land signed in, or an existing account join after signing in; the
link works once, until it expires or is revoked, and only in its own tenant."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from tenancy.models import Invitation, InvitationEvent, Membership, MembershipEvent, OutboundMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = reverse("tenancy:members")
INVITE = reverse("tenancy:invitation-create")
NEW_PASSWORD = "violet-harbour-42-lanterns"


class Browser(Client):
    """A test client whose every request runs its on-commit callbacks (the mail task, eager here),
    as a real request's committed transaction would."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


def browser(user=None, language="en") -> Client:
    client = Browser(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client


def invite(browser_, **fields):
    data = {"email": "new.person@example.com", "first_name": "Nina", "last_name": "Orlova",
            "role": "engineer", "client": "", "language": "en", **fields}
    return browser_.post(INVITE, data)


def link_in(message) -> str:
    """The accept link of a sent invitation, as a path."""
    url = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_invitation_travels_by_mail_and_its_link_signs_the_new_person_in(world_a, language, settings):
    admin = browser(world_a.admin, language)
    response = invite(admin, language=language, role="client_signatory", client=world_a.client.pk)
    assert response.status_code == 302
    page = admin.get(MEMBERS).content.decode()
    assert "new.person@example.com" in page  # listed among the open invitations
    [sent] = mail.outbox
    assert sent.to == ["new.person@example.com"]
    if language == "en":
        assert sent.subject == "You are invited to join Tenant A"
        assert "as Client signatory" in sent.body and "Client of A" in sent.body
    else:
        assert sent.subject == "Приглашение присоединиться к Tenant A"
        assert "«Подписант клиента»" in sent.body or "Подписант" in sent.body
    path = link_in(sent)
    assert sent.body.count(settings.SITE_URL + path) == 1
    html = sent.alternatives[0][0]
    assert path in html
    # the row kept by the mail service holds no token
    with world_a.context():
        row = OutboundMessage.objects.get()
        assert row.state == "sent" and path.split("/")[-2] not in str(row.context) + row.url

    newcomer = browser(language=language)
    form = newcomer.get(path)
    assert form.status_code == 200 and "Tenant A" in form.content.decode()
    done = newcomer.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)
    assert done.status_code == 200
    user = done.context["user"]
    assert user.is_authenticated and user.email == "new.person@example.com" and user.get_full_name() == "Nina Orlova"
    assert user.profile.language == language
    assert done.redirect_chain[-1][0] == reverse("portal")  # a client user lands in the portal
    with world_a.context():
        membership = Membership.objects.get(user=user)
        assert (membership.role, membership.client_id) == ("client_signatory", world_a.client.pk)
        invitation = Invitation.objects.get()
        assert invitation.used_at is not None and invitation.accepted_by == user
        assert list(InvitationEvent.objects.values_list("kind", flat=True).order_by("id")) == ["created", "accepted"]
        assert MembershipEvent.objects.get(membership=membership).kind == "joined"
    # the new person signs in with their address and password
    assert Client().login(username="new.person@example.com", password=NEW_PASSWORD)
    # and the same link again: used
    again = browser(language=language).get(path)
    assert again.status_code == 410
    assert again.context["code"] == "used"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_weak_or_mismatched_password_is_a_form_error_and_saves_nothing(world_a, language):
    invite(browser(world_a.admin))
    path = link_in(mail.outbox[0])
    newcomer = browser(language=language)
    weak = newcomer.post(path, {"password1": "123", "password2": "123"})
    assert weak.status_code == 400 and weak.context["form"].errors["password1"]
    differ = newcomer.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert differ.status_code == 400 and differ.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(email="new.person@example.com").exists()
    with world_a.context():
        assert Invitation.objects.get().used_at is None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_address_already_a_member_is_a_form_error(world_a, language):
    admin = browser(world_a.admin, language)
    response = invite(admin, email=world_a.engineer.email.upper())
    assert response.status_code == 400 and response.context["form"].errors["email"]
    assert mail.outbox == []
    with world_a.context():
        assert not Invitation.objects.exists()


def test_an_address_invited_already_is_a_form_error_until_its_invitation_expires(world_a):
    admin = browser(world_a.admin)
    assert invite(admin).status_code == 302
    twice = invite(admin)
    assert twice.status_code == 400 and twice.context["form"].errors["email"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert invite(browser(world_a.admin)).status_code == 302  # the expired one is revoked
    with world_a.context():
        assert Invitation.objects.filter(revoked_at__isnull=False).count() == 1
        assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_client_role_needs_a_client_and_a_bad_address_is_refused(world_a, world_b):
    admin = browser(world_a.admin)
    assert invite(admin, role="client_viewer").context["form"].errors["client"]
    assert invite(admin, role="client_viewer", client=world_b.client.pk).context["form"].errors["client"]
    assert invite(admin, email="not-an-address").context["form"].errors["email"]
    assert invite(admin, role="emperor").status_code == 400
    with world_a.context():
        assert not Invitation.objects.exists()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_expired_link_says_so(world_a, language):
    invite(browser(world_a.admin))
    path = link_in(mail.outbox[0])
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        page = browser(language=language).get(path)
        assert page.status_code == 410 and page.context["code"] == "expired"
        posted = browser(language=language).post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert posted.status_code == 410
    assert not get_user_model().objects.filter(email="new.person@example.com").exists()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_revoked_link_says_so_and_a_made_up_one_is_a_404(world_a, language):
    admin = browser(world_a.admin, language)
    invite(admin)
    path = link_in(mail.outbox[0])
    with world_a.context():
        invitation = Invitation.objects.get()
    assert admin.post(reverse("tenancy:invitation-revoke", args=[invitation.pk])).status_code == 302
    page = browser(language=language).get(path)
    assert page.status_code == 410 and page.context["code"] == "revoked"
    assert browser(language=language).get(path[:-5] + "abcd/").status_code == 404
    assert browser(language=language).get(reverse("tenancy:invitation-accept", args=["nonsense"])).status_code == 404
    assert browser(language=language).get(reverse("tenancy:invitation-accept", args=["999-xyz"])).status_code == 404
    # revoked twice: gone from the list, so a 404
    assert admin.post(reverse("tenancy:invitation-revoke", args=[invitation.pk])).status_code == 404


def test_sending_again_replaces_the_link_and_extends_it(world_a):
    admin = browser(world_a.admin)
    invite(admin)
    first = link_in(mail.outbox[0])
    with world_a.context():
        invitation = Invitation.objects.get()
    with time_machine.travel(timezone.now() + dt.timedelta(days=6)):
        assert admin.post(reverse("tenancy:invitation-resend", args=[invitation.pk])).status_code == 302
    second = link_in(mail.outbox[1])
    assert first != second
    assert browser().get(first).status_code == 404  # the old link is replaced
    with time_machine.travel(timezone.now() + dt.timedelta(days=10)):
        assert browser().get(second).status_code == 200  # still valid: 7 days from the resend
    with world_a.context():
        assert list(InvitationEvent.objects.values_list("kind", flat=True).order_by("id")) == ["created", "resent"]


def test_an_existing_account_joins_after_signing_in(world_a, world_b, password):
    someone = world_b.engineer  # works in tenant B already
    admin = browser(world_a.admin)
    assert invite(admin, email=someone.email, role="accountant").status_code == 302
    path = link_in(mail.outbox[0])
    anonymous = browser().get(path)
    assert anonymous.status_code == 200 and anonymous.context["existing"]
    assert reverse("login") in anonymous.content.decode()
    # nobody takes the account over by setting a password through the link
    assert browser().post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
    # another signed-in person is refused
    assert browser(world_b.accountant).post(path).status_code == 403
    client = Client()
    login = client.post(reverse("login") + f"?next={path}", {"username": someone.username, "password": password,
                                                              "next": path})
    assert login.status_code == 302 and login["Location"] == path
    joined = client.post(path, follow=True)
    assert joined.status_code == 200
    assert joined.context["current_tenant"] == world_a.tenant  # switched to the tenant joined
    with world_a.context():
        assert Membership.objects.get(user=someone).role == "accountant"
    someone.refresh_from_db()
    assert someone.check_password(password)  # unchanged


@pytest.mark.parametrize("role", ["account_manager", "engineer", "accountant"])
def test_only_administrators_invite_resend_or_revoke(world_a, role):
    invite(browser(world_a.admin))
    with world_a.context():
        invitation = Invitation.objects.get()
    client = browser(getattr(world_a, role))
    assert invite(client, email="other@example.com").status_code == 403
    assert client.post(reverse("tenancy:invitation-resend", args=[invitation.pk])).status_code == 403
    assert client.post(reverse("tenancy:invitation-revoke", args=[invitation.pk])).status_code == 403
    with world_a.context():
        assert Invitation.objects.count() == 1 and Invitation.objects.get().revoked_at is None


def test_tenant_a_cannot_see_or_act_on_tenant_b_invitations(world_a, world_b):
    invite(browser(world_b.admin), email="theirs@example.com")
    with world_b.context():
        theirs = Invitation.objects.get()
    admin_a = browser(world_a.admin)
    assert "theirs@example.com" not in admin_a.get(MEMBERS).content.decode()
    assert admin_a.post(reverse("tenancy:invitation-resend", args=[theirs.pk])).status_code == 404
    assert admin_a.post(reverse("tenancy:invitation-revoke", args=[theirs.pk])).status_code == 404
    with world_b.context():
        theirs.refresh_from_db()
        assert theirs.revoked_at is None
    # a link of tenant B with tenant A's id in front finds nothing
    path = link_in(mail.outbox[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = f"{world_a.tenant.pk}-{token.split('-', 1)[1]}"
    assert browser().get(reverse("tenancy:invitation-accept", args=[forged])).status_code == 404


def test_a_member_added_meanwhile_cannot_use_the_link_twice(world_a):
    """Accepting is all or nothing: if the account cannot be made, no membership and no use."""
    invite(browser(world_a.admin))
    path = link_in(mail.outbox[0])
    UserFactory(username="new.person@example.com", email="")  # the username is taken meanwhile
    refused = browser().post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert refused.status_code == 400
    with world_a.context():
        assert Invitation.objects.get().used_at is None
        assert not Membership.objects.filter(user__username="new.person@example.com").exists()


def test_the_django_admin_lists_the_tenants_invitations_without_their_hash(world_a, world_b):
    invite(browser(world_a.admin), email="ours@example.com")
    invite(browser(world_b.admin), email="theirs@example.com")
    world_a.admin.is_staff = True
    world_a.admin.save(update_fields=["is_staff"])
    page = browser(world_a.admin).get(reverse("admin:tenancy_invitation_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ours@example.com" in html and "theirs@example.com" not in html
    with world_a.context():
        ours = Invitation.objects.get()
    detail = browser(world_a.admin).get(reverse("admin:tenancy_invitation_change", args=[ours.pk]))
    assert detail.status_code == 200 and ours.token_hash not in detail.content.decode()
