"""People in the REST API: a tenant administrator (or their API key) lists and reads members, changes a
role, deactivates and reactivates a membership, invites by e-mail, sends an invitation again and
revokes it. Never their own membership, never the last administrator; other roles 403; another
tenant's members and invitations are 404; the invitation's token is never in an answer."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenancy.models import Invitation, InvitationEvent, Membership, MembershipEvent
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
INVITATIONS = "/api/v1/invitations/"


class MailingClient(APIClient):
    """Runs each request's on-commit callbacks (the invitation's mail), as a committed request would."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def admin_api(world_a, api_key_for):
    client = MailingClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(world_a, world_a.admin)}")
    return client


def membership(world, user) -> Membership:
    with world.context():
        return Membership.objects.get(user=user)


def invite(api, **fields):
    body = {"email": "new.person@example.com", "role": "engineer", "first_name": "Nina", "last_name": "Orlova",
            **fields}
    return api.post(INVITATIONS, body, format="json")


def token_in(message) -> str:
    return re.search(r"/invitations/([^/\s]+)/", message.body).group(1)


# --- members --------------------------------------------------------------------------------


def test_the_admin_lists_the_members_with_role_client_and_status(world_a, world_b, admin_api):
    response = admin_api.get(MEMBERS)
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["results"]}
    assert set(rows) == {f"a_{role}" for role in ("admin", "account_manager", "engineer", "accountant",
                                                  "client_admin", "client_signatory", "client_viewer")}
    signatory = rows["a_client_signatory"]
    assert signatory["role"] == "client_signatory" and signatory["client_id"] == world_a.client.pk
    assert signatory["is_active"] is True and signatory["user_id"] == world_a.client_signatory.pk
    assert set(signatory) == {"id", "user_id", "username", "full_name", "email", "role", "client_id", "is_active",
                              "joined", "last_login"}
    assert rows["a_engineer"]["client_id"] is None


def test_the_list_filters_by_role_active_and_client(world_a, admin_api):
    engineer = membership(world_a, world_a.engineer)
    with world_a.context():
        Membership.objects.filter(pk=engineer.pk).update(is_active=False)

    def names(query):
        response = admin_api.get(MEMBERS + query)
        assert response.status_code == 200, response.json()
        return {row["username"] for row in response.json()["results"]}

    assert names("?role=engineer&role=accountant") == {"a_engineer", "a_accountant"}
    assert names("?active=false") == {"a_engineer"}
    assert "a_engineer" not in names("?active=true")
    assert names(f"?client={world_a.client.pk}") == {"a_client_admin", "a_client_signatory", "a_client_viewer"}
    assert admin_api.get(MEMBERS + "?role=boss").status_code == 400
    assert admin_api.get(MEMBERS + "?active=maybe").status_code == 400


def test_the_admin_reads_one_member(world_a, admin_api):
    engineer = membership(world_a, world_a.engineer)
    response = admin_api.get(f"{MEMBERS}{engineer.pk}/")
    assert response.status_code == 200
    assert response.json()["username"] == "a_engineer" and response.json()["role"] == "engineer"


def test_the_admin_changes_a_role_and_the_change_is_on_the_trail(world_a, admin_api):
    engineer = membership(world_a, world_a.engineer)
    response = admin_api.patch(f"{MEMBERS}{engineer.pk}/", {"role": "account_manager"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "account_manager"
    # to a client role, with its client
    response = admin_api.patch(f"{MEMBERS}{engineer.pk}/", {"role": "client_viewer", "client": world_a.client.pk},
                               format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["client_id"] == world_a.client.pk
    # back to a provider role: the client goes with the role
    response = admin_api.patch(f"{MEMBERS}{engineer.pk}/", {"role": "engineer"}, format="json")
    assert response.status_code == 200 and response.json()["client_id"] is None
    with world_a.context():
        kinds = list(MembershipEvent.objects.filter(membership=engineer).values_list("kind", "actor_id"))
    assert kinds == [("role_changed", world_a.admin.pk)] * 3


@pytest.mark.parametrize(("body", "field"), [
    ({"role": "boss"}, "role"),
    ({"role": "client_viewer"}, "client"),
    ({"role": "engineer", "client": 999999}, "client"),
    ({"role": 7}, "role"),
])
def test_bad_input_to_a_role_change_is_a_400_naming_the_field(world_a, admin_api, body, field):
    engineer = membership(world_a, world_a.engineer)
    response = admin_api.patch(f"{MEMBERS}{engineer.pk}/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert membership(world_a, world_a.engineer).role == "engineer"


def test_the_admin_deactivates_and_reactivates_a_member(world_a, admin_api):
    engineer = membership(world_a, world_a.engineer)
    off = admin_api.post(f"{MEMBERS}{engineer.pk}/deactivate/")
    assert off.status_code == 200 and off.json()["is_active"] is False
    on = admin_api.post(f"{MEMBERS}{engineer.pk}/reactivate/")
    assert on.status_code == 200 and on.json()["is_active"] is True
    with world_a.context():
        events = list(MembershipEvent.objects.filter(membership=engineer).order_by("id")
                      .values_list("kind", "transition", "actor_id"))
    assert events == [("transition", "deactivate", world_a.admin.pk), ("transition", "reactivate", world_a.admin.pk)]


def test_nobody_changes_or_deactivates_themselves(world_a, admin_api):
    own = membership(world_a, world_a.admin)
    demoted = admin_api.patch(f"{MEMBERS}{own.pk}/", {"role": "engineer"}, format="json")
    assert demoted.status_code == 400
    assert demoted.json()["code"] == "own_membership" and demoted.json()["errors"][0]["field"] == "role"
    off = admin_api.post(f"{MEMBERS}{own.pk}/deactivate/")
    assert off.status_code == 400 and off.json()["errors"][0]["field"] == "is_active"
    assert membership(world_a, world_a.admin).role == "admin" and membership(world_a, world_a.admin).is_active


@pytest.mark.parametrize("request_", ["demote", "deactivate"])
def test_the_last_administrator_is_never_demoted_nor_deactivated(world_a, api_key_for, monkeypatch, request_):
    """The race of the members page through the API: `second` removes `first` while `first` demotes
    `second`; both passed the role check, and the service, holding the lock on the admins' rows,
    finds `first` the last active administrator and refuses."""
    from tenancy import people

    second = UserFactory(username="a_second_admin")
    MembershipFactory(tenant=world_a.tenant, user=second, role="admin")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(world_a, second)}")
    first = membership(world_a, world_a.admin)
    locked = people._locked

    def first_demotes_second_meanwhile(target):
        Membership.objects.filter(user=second).update(role="engineer")
        return locked(target)

    monkeypatch.setattr(people, "_locked", first_demotes_second_meanwhile)
    if request_ == "demote":
        response = api.patch(f"{MEMBERS}{first.pk}/", {"role": "engineer"}, format="json")
    else:
        response = api.post(f"{MEMBERS}{first.pk}/deactivate/")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "last_admin"
    first = membership(world_a, world_a.admin)
    assert first.role == "admin" and first.is_active


# --- invitations ----------------------------------------------------------------------------


def test_the_admin_invites_by_mail_and_the_answer_holds_no_token(world_a, admin_api):
    response = invite(admin_api, role="client_signatory", client=world_a.client.pk, language="ru")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["email"], body["role"], body["client_id"], body["state"]) == (
        "new.person@example.com", "client_signatory", world_a.client.pk, "open")
    assert body["language"] == "ru" and body["invited_by_id"] == world_a.admin.pk
    [sent] = mail.outbox
    assert sent.to == ["new.person@example.com"]
    token = token_in(sent)
    assert token not in response.content.decode()
    assert "token" not in "".join(body)
    with world_a.context():
        invitation = Invitation.objects.get()
        assert invitation.token_hash not in response.content.decode()
        assert list(InvitationEvent.objects.values_list("kind", "actor_id")) == [("created", world_a.admin.pk)]
    listed = admin_api.get(INVITATIONS)
    assert listed.status_code == 200 and [row["id"] for row in listed.json()["results"]] == [invitation.pk]
    assert token not in listed.content.decode() and invitation.token_hash not in listed.content.decode()


def test_resend_gives_a_new_link_and_revoke_closes_it_neither_answer_holds_the_token(world_a, admin_api):
    created = invite(admin_api).json()
    first = token_in(mail.outbox[0])
    resent = admin_api.post(f"{INVITATIONS}{created['id']}/resend/")
    assert resent.status_code == 200, resent.json()
    second = token_in(mail.outbox[1])
    assert second != first
    revoked = admin_api.post(f"{INVITATIONS}{created['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    for response in (resent, revoked):
        assert first not in response.content.decode() and second not in response.content.decode()
    # revoked: out of the default list, in `?state=revoked`; a second revoke or a resend is refused
    assert admin_api.get(INVITATIONS).json()["results"] == []
    assert [row["id"] for row in admin_api.get(INVITATIONS + "?state=revoked").json()["results"]] == [created["id"]]
    assert admin_api.get(INVITATIONS + "?state=open&state=accepted").json()["results"] == []
    assert admin_api.post(f"{INVITATIONS}{created['id']}/revoke/").json()["code"] == "revoked"
    assert admin_api.post(f"{INVITATIONS}{created['id']}/resend/").status_code == 400
    with world_a.context():
        kinds = list(InvitationEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "resent", "revoked"]


@pytest.mark.parametrize(("body", "field"), [
    ({"role": "boss"}, "role"),
    ({"role": "client_admin"}, "client"),
    ({"role": "engineer", "client": 999999}, "client"),
    ({"email": "not an address"}, "email"),
    ({"email": ""}, "email"),
    ({"email": "a_engineer@example.com"}, "email"),  # already a member
    ({"language": "de"}, "language"),
])
def test_bad_invitations_are_a_400_naming_the_field(world_a, admin_api, body, field):
    with world_a.context():
        world_a.engineer.email = "a_engineer@example.com"
        world_a.engineer.save(update_fields=["email"])
    response = invite(admin_api, **body)
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert mail.outbox == []
    with world_a.context():
        assert not Invitation.objects.exists()


def test_an_address_invited_already_is_refused(world_a, admin_api):
    assert invite(admin_api).status_code == 201
    again = invite(admin_api, email="New.Person@example.com")
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "email"
    assert again.json()["code"] == "already_invited"


def test_the_invitations_sort_by_address_role_and_dates(world_a, admin_api):
    for email, role in (("zoe@example.com", "engineer"), ("adam@example.com", "accountant"),
                        ("mia@example.com", "account_manager")):
        assert invite(admin_api, email=email, role=role).status_code == 201

    def emails(query: str) -> list[str]:
        response = admin_api.get(f"{INVITATIONS}{query}")
        assert response.status_code == 200, response.content
        return [row["email"] for row in response.json()["results"]]

    assert emails("") == ["mia@example.com", "adam@example.com", "zoe@example.com"]  # newest first
    assert emails("?ordering=email") == ["adam@example.com", "mia@example.com", "zoe@example.com"]
    assert emails("?ordering=-role") == ["zoe@example.com", "adam@example.com", "mia@example.com"]
    assert emails("?ordering=sent_at") == ["zoe@example.com", "adam@example.com", "mia@example.com"]
    response = admin_api.get(f"{INVITATIONS}?ordering=token_hash")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "ordering"


def test_an_idempotency_key_replays_the_invitation_without_sending_it_twice(world_a, admin_api):
    first = admin_api.post(INVITATIONS, {"email": "x@example.com", "role": "engineer"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="invite-x-1")
    again = admin_api.post(INVITATIONS, {"email": "x@example.com", "role": "engineer"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="invite-x-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert len(mail.outbox) == 1


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["account_manager", "engineer", "accountant", "client_admin"])
def test_other_roles_get_403_everywhere(world_a, api_as, role):
    api = api_as(world_a, getattr(world_a, role))
    engineer = membership(world_a, world_a.engineer)
    assert api.get(MEMBERS).status_code == 403
    assert api.get(f"{MEMBERS}{engineer.pk}/").status_code == 403
    assert api.patch(f"{MEMBERS}{engineer.pk}/", {"role": "accountant"}, format="json").status_code == 403
    assert api.post(f"{MEMBERS}{engineer.pk}/deactivate/").status_code == 403
    assert api.get(INVITATIONS).status_code == 403
    assert invite(api).status_code == 403
    assert membership(world_a, world_a.engineer).role == "engineer"
    with world_a.context():
        assert not Invitation.objects.exists()


def test_a_read_only_key_of_an_admin_reads_but_does_not_write(world_a, api_as):
    api = api_as(world_a, world_a.admin, scopes=("read",))
    engineer = membership(world_a, world_a.engineer)
    assert api.get(MEMBERS).status_code == 200
    assert api.post(f"{MEMBERS}{engineer.pk}/deactivate/").status_code == 403
    assert invite(api).status_code == 403


def test_tenant_b_cannot_reach_tenant_a_members_or_invitations(world_a, world_b, admin_api, api_as):
    created = invite(admin_api).json()
    theirs = membership(world_a, world_a.engineer)
    b = api_as(world_b, world_b.admin)
    listed = b.get(MEMBERS).json()["results"]
    assert theirs.pk not in [row["id"] for row in listed]
    assert all(row["username"].startswith("b_") for row in listed)
    assert b.get(INVITATIONS).json()["results"] == []
    assert b.get(f"{MEMBERS}{theirs.pk}/").status_code == 404
    assert b.patch(f"{MEMBERS}{theirs.pk}/", {"role": "accountant"}, format="json").status_code == 404
    assert b.post(f"{MEMBERS}{theirs.pk}/deactivate/").status_code == 404
    assert b.post(f"{MEMBERS}{theirs.pk}/reactivate/").status_code == 404
    assert b.post(f"{INVITATIONS}{created['id']}/resend/").status_code == 404
    assert b.post(f"{INVITATIONS}{created['id']}/revoke/").status_code == 404
    # tenant A's client as a filter or a body field is unknown to tenant B
    assert b.get(f"{MEMBERS}?client={world_a.client.pk}").status_code == 400
    assert invite(b, email="b.new@example.com", role="client_admin",
                  client=world_a.client.pk).json()["errors"][0]["field"] == "client"
    theirs = membership(world_a, world_a.engineer)
    assert theirs.role == "engineer" and theirs.is_active
    with world_a.context():
        assert Invitation.objects.get().revoked_at is None


# --- cost -------------------------------------------------------------------------------------


def test_the_lists_cost_the_same_queries_with_more_rows(world_a, admin_api):
    """(tests/test_query_counts.py's Scene grows no memberships nor invitations: counted here.)"""

    def count(url):
        admin_api.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert admin_api.get(url).status_code == 200
        return len(captured)

    def grow(k, start):
        for i in range(start, start + k):
            MembershipFactory(tenant=world_a.tenant, user=UserFactory(), role="client_viewer",
                              client=world_a.client)
            assert invite(admin_api, email=f"person{i}@example.com").status_code == 201

    grow(2, 0)
    few = (count(MEMBERS), count(INVITATIONS))
    grow(6, 2)
    assert (count(MEMBERS), count(INVITATIONS)) == few


def test_ordering_search_and_ids_out_of_range(world_a, admin_api):
    newest = admin_api.get(MEMBERS + "?ordering=-joined,id").json()["results"]
    assert len(newest) == 7
    assert [row["username"] for row in admin_api.get(MEMBERS + "?search=signatory").json()["results"]] == [
        "a_client_signatory"]
    assert admin_api.get(MEMBERS + "?ordering=password").status_code == 400
    for bad in ("9223372036854775808", "99999999"):
        assert admin_api.get(f"{MEMBERS}{bad}/").status_code == 404
        assert admin_api.post(f"{INVITATIONS}{bad}/revoke/").status_code == 404
