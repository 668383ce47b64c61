"""The members page: a tenant administrator sees the tenant's people, changes a role (and client),
deactivates and reactivates a membership; never their own, never the last administrator's; every
change is on the membership's trail (who, when, from, to)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenancy.models import Membership, MembershipEvent
from tests.factories import ClientFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = reverse("tenancy:members")


def browser(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def membership_of(world, user) -> Membership:
    with world.context():
        return Membership.objects.get(user=user)


def detail(membership) -> str:
    return reverse("tenancy:member-detail", args=[membership.pk])


def active_url(membership) -> str:
    return reverse("tenancy:member-active", args=[membership.pk])


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_admin_sees_every_member_with_role_client_status_and_last_login(world_a, world_b, language):
    page = browser(world_a.admin, language).get(MEMBERS)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'lang="{language}"' in html
    for user in (world_a.engineer, world_a.client_signatory):
        assert user.email in html
    assert "Client of A" in html  # the client of a client role
    assert world_b.engineer.email not in html  # another tenant's people
    assert ("Members" if language == "en" else "Участники") in html
    assert reverse("tenancy:members") in html  # the nav links to it


@pytest.mark.parametrize("role", ["account_manager", "engineer", "accountant", "client_admin"])
def test_only_administrators_open_the_members_pages(world_a, role):
    user = getattr(world_a, role)
    engineer = membership_of(world_a, world_a.engineer)
    client = browser(user)
    expected = 302 if role.startswith("client") else 403  # client users go to their portal
    assert client.get(MEMBERS).status_code == expected
    assert client.get(detail(engineer)).status_code == expected
    assert client.post(active_url(engineer), {"active": "0"}).status_code == expected
    assert client.post(detail(engineer), {"role": "admin"}).status_code == expected
    assert membership_of(world_a, world_a.engineer).role == "engineer"
    assert "organisation/members" not in client.get("/", follow=True).content.decode()


def test_a_signed_out_visitor_is_sent_to_log_in(client, world_a):
    response = client.get(MEMBERS)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_admin_changes_a_role_and_the_trail_says_who_when_from_and_to(world_a, language):
    engineer = membership_of(world_a, world_a.engineer)
    client = browser(world_a.admin, language)
    assert client.get(detail(engineer)).status_code == 200
    response = client.post(detail(engineer), {"role": "accountant", "client": ""})
    assert response.status_code == 302
    with world_a.context():
        engineer.refresh_from_db()
        assert engineer.role == "accountant"
        event = MembershipEvent.objects.get(membership=engineer)
    assert event.kind == "role_changed" and event.actor == world_a.admin
    assert event.data["changes"] == {"role": ["engineer", "accountant"]}
    page = client.get(detail(engineer)).content.decode()
    assert ("Engineer" if language == "en" else "Инженер") in page  # from, by its label


def test_a_client_role_needs_one_of_the_tenants_clients(world_a, world_b):
    engineer = membership_of(world_a, world_a.engineer)
    client = browser(world_a.admin)
    missing = client.post(detail(engineer), {"role": "client_viewer", "client": ""})
    assert missing.status_code == 400 and missing.context["form"].errors["client"]
    theirs = client.post(detail(engineer), {"role": "client_viewer", "client": world_b.client.pk})
    assert theirs.status_code == 400 and theirs.context["form"].errors["client"]
    ours = client.post(detail(engineer), {"role": "client_viewer", "client": world_a.client.pk})
    assert ours.status_code == 302
    with world_a.context():
        engineer.refresh_from_db()
        assert (engineer.role, engineer.client_id) == ("client_viewer", world_a.client.pk)
    # and back to a provider role: the client goes
    other = ClientFactory(tenant=world_a.tenant)
    assert client.post(detail(engineer), {"role": "client_viewer", "client": other.pk}).status_code == 302
    assert client.post(detail(engineer), {"role": "engineer", "client": ""}).status_code == 302
    with world_a.context():
        engineer.refresh_from_db()
        assert (engineer.role, engineer.client_id) == ("engineer", None)
        assert MembershipEvent.objects.filter(membership=engineer).count() == 3


def test_an_unknown_role_is_a_form_error(world_a):
    engineer = membership_of(world_a, world_a.engineer)
    response = browser(world_a.admin).post(detail(engineer), {"role": "emperor"})
    assert response.status_code == 400 and response.context["form"].errors["role"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_deactivating_takes_access_away_and_reactivating_gives_it_back(world_a, language):
    engineer = membership_of(world_a, world_a.engineer)
    admin = browser(world_a.admin, language)
    assert admin.post(active_url(engineer), {"active": "0"}).status_code == 302
    assert browser(world_a.engineer).get("/").status_code == 403  # no organisation any more
    page = admin.get(MEMBERS).content.decode()
    assert ("deactivated" if language == "en" else "деактивирован") in page
    assert admin.post(active_url(engineer), {"active": "1"}).status_code == 302
    assert browser(world_a.engineer).get("/").status_code == 200
    with world_a.context():
        trail = list(MembershipEvent.objects.filter(membership=engineer).order_by("id")
                     .values_list("from_state", "to_state", "actor"))
    assert trail == [("active", "deactivated", world_a.admin.pk), ("deactivated", "active", world_a.admin.pk)]


def test_a_nonsense_action_is_a_400(world_a):
    engineer = membership_of(world_a, world_a.engineer)
    assert browser(world_a.admin).post(active_url(engineer), {"active": "maybe"}).status_code == 400


@pytest.mark.parametrize("language", ["en", "ru"])
def test_nobody_deactivates_or_demotes_themselves(world_a, language):
    own = membership_of(world_a, world_a.admin)
    second = UserFactory()
    MembershipFactory(tenant=world_a.tenant, user=second, role="admin")  # not the last admin either
    client = browser(world_a.admin, language)
    response = client.post(active_url(own), {"active": "0"})
    assert response.status_code == 400
    assert response.context["error"]
    demote = client.post(detail(own), {"role": "engineer"})
    assert demote.status_code == 400 and demote.context["form"].errors
    own = membership_of(world_a, world_a.admin)
    assert own.is_active and own.role == "admin"


def test_two_administrators_demoting_each_other_leave_one(world_a):
    """The race: B demotes A while A demotes B. Both passed the role check; the second to take the
    lock on the admins' rows finds itself the last administrator and is refused."""
    from tenancy import people
    from tenancy.errors import DomainError
    from tenancy.roles import has_role

    second = UserFactory()
    MembershipFactory(tenant=world_a.tenant, user=second, role="admin")
    first = world_a.admin
    with world_a.context(user=first):
        assert has_role(first, {"admin"}) and has_role(second, {"admin"})  # both checked before either acts
        people.membership_change_role(membership=Membership.objects.get(user=second), actor=first, role="engineer")
        with pytest.raises(DomainError) as refused:
            people.membership_set_active(membership=Membership.objects.get(user=first), actor=second, active=False)
        assert refused.value.code == "last_admin"
        with pytest.raises(DomainError):
            people.membership_change_role(membership=Membership.objects.get(user=first), actor=second,
                                          role="engineer")
        assert list(Membership.objects.filter(role="admin", is_active=True).values_list("user", flat=True)) == [
            first.pk]


def test_tenant_b_members_are_not_reachable_by_id(world_a, world_b):
    theirs = membership_of(world_b, world_b.engineer)
    client = browser(world_a.admin)
    assert client.get(detail(theirs)).status_code == 404
    assert client.post(detail(theirs), {"role": "accountant"}).status_code == 404
    assert client.post(active_url(theirs), {"active": "0"}).status_code == 404
    theirs = membership_of(world_b, world_b.engineer)
    assert theirs.is_active and theirs.role == "engineer"


def test_the_members_page_costs_the_same_queries_with_more_members(world_a):
    client = browser(world_a.admin)
    client.get(MEMBERS)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MEMBERS).status_code == 200
        return len(captured)

    few = count()
    for _ in range(6):
        MembershipFactory(tenant=world_a.tenant, role="client_viewer", client=ClientFactory(tenant=world_a.tenant))
    assert count() == few


def test_a_change_in_the_django_admin_goes_through_the_same_rules_and_trail(world_a):
    from tests.test_admin import form_data

    world_a.admin.is_staff = True
    world_a.admin.save(update_fields=["is_staff"])
    client = browser(world_a.admin)
    engineer = membership_of(world_a, world_a.engineer)
    change = reverse("admin:tenancy_membership_change", args=[engineer.pk])
    data = form_data(client.get(change))
    data["role"] = "accountant"
    data.pop("is_active", None)  # unticked: deactivated
    assert client.post(change, data).status_code == 302
    with world_a.context():
        engineer.refresh_from_db()
        assert (engineer.role, engineer.is_active) == ("accountant", False)
        kinds = list(MembershipEvent.objects.filter(membership=engineer).order_by("id").values_list("kind", flat=True))
    assert kinds == ["role_changed", "transition"]
    assert browser(world_a.admin).get(MEMBERS).status_code == 200
