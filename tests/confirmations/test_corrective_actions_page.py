"""The corrective actions page: open / closed / all, the plan its owner or an administrator writes,
refusals for everyone else, and the tenant wall."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from confirmations import services
from confirmations.models import ActEvent, CorrectiveAction
from tenancy.errors import ActionForbidden
from tests.billing.support import accepted_act, billed_contract
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/corrective-actions/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plan_url(action) -> str:
    return f"{LIST}{action.pk}/plan/"


def corrective_action(world, *, closed: bool = False, owner=None, note: str = "", rating: int = 2):
    """A corrective action opened by a low rating on an accepted act (and closed by a good one)."""
    contract = billed_contract(world)
    _act, low = accepted_act(world, contract, rating=rating)
    closing = accepted_act(world, contract, rating=5)[1] if closed else None
    with world.context():
        return CorrectiveAction.objects.create(
            contract=contract, client=contract.client, opened_by=low, owner=owner or world.account_manager,
            note=note, state=CorrectiveAction.State.CLOSED if closed else CorrectiveAction.State.OPEN,
            closed_by=closing, closed_at=timezone.now() if closed else None)


def note_of(world, action) -> str:
    with world.context():
        return CorrectiveAction.objects.get(pk=action.pk).note


def test_the_page_lists_open_actions_by_default_and_filters_closed_and_all(world_a, world_b):
    open_action = corrective_action(world_a, note="Call the client weekly")
    closed_action = corrective_action(world_a, closed=True)
    hidden = corrective_action(world_b)
    engineer = browser(world_a.engineer)

    page = engineer.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-action="{open_action.pk}"' in html and f'data-action="{closed_action.pk}"' not in html
    assert f'data-action="{hidden.pk}"' not in html and hidden.contract.number not in html
    assert open_action.contract.number in html and world_a.client.name in html
    assert f"/acts/{open_action.opened_by.act_id}/" in html and open_action.opened_by.act.number in html
    assert "Call the client weekly" in html and world_a.account_manager.get_full_name() in html
    assert 'name="note"' not in html  # an engineer reads, never writes
    nav = html.split('class="mainnav"')[1].split("</nav>")[0]
    assert f'href="{LIST}"' in nav

    closed = engineer.get(f"{LIST}?state=closed").content.decode()
    assert f'data-action="{closed_action.pk}"' in closed and f'data-action="{open_action.pk}"' not in closed
    assert f"/acts/{closed_action.closed_by.act_id}/" in closed
    every = engineer.get(f"{LIST}?state=all").content.decode()
    assert f'data-action="{closed_action.pk}"' in every and f'data-action="{open_action.pk}"' in every
    assert f'data-action="{hidden.pk}"' not in every
    unknown = engineer.get(f"{LIST}?state=nonsense").content.decode()
    assert f'data-action="{open_action.pk}"' in unknown and f'data-action="{closed_action.pk}"' not in unknown


def test_the_owner_writes_the_plan_and_the_act_records_it(world_a):
    action = corrective_action(world_a)
    owner = browser(world_a.account_manager)
    assert 'name="note"' in owner.get(LIST).content.decode()

    response = owner.post(plan_url(action), {"note": "  Replace the engineer on site; review in two weeks.  ",
                                             "show": "open"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?state=open#action-{action.pk}"
    assert note_of(world_a, action) == "Replace the engineer on site; review in two weeks."
    with world_a.context():
        event = ActEvent.objects.get(kind="corrective_plan")
    assert event.act_id == action.opened_by.act_id and event.actor == world_a.account_manager
    assert event.data == {"corrective_action": action.pk}
    assert "Replace the engineer on site" in owner.get(LIST).content.decode()

    # saving the same plan again records nothing new
    owner.post(plan_url(action), {"note": "Replace the engineer on site; review in two weeks."})
    with world_a.context():
        assert ActEvent.objects.filter(kind="corrective_plan").count() == 1


def test_an_administrator_may_update_the_plan_of_any_action_even_a_closed_one(world_a):
    action = corrective_action(world_a, closed=True)
    admin = browser(world_a.admin)
    assert 'name="note"' in admin.get(f"{LIST}?state=closed").content.decode()
    response = admin.post(plan_url(action), {"note": "What we did: a new engineer.", "show": "closed"})
    assert response.status_code == 302 and "state=closed" in response["Location"]
    assert note_of(world_a, action) == "What we did: a new engineer."


def test_everyone_else_is_refused_with_403_and_nothing_changes(world_a):
    action = corrective_action(world_a, note="The original plan")
    other_manager = UserFactory(username="a_other_manager")
    MembershipFactory(tenant=world_a.tenant, user=other_manager, role="account_manager")
    for user in (other_manager, world_a.engineer, world_a.accountant):
        client = browser(user)
        assert 'name="note"' not in client.get(LIST).content.decode(), user
        assert client.post(plan_url(action), {"note": "Mine now"}).status_code == 403, user
    assert note_of(world_a, action) == "The original plan"
    # nobody owns it: only an administrator may write the plan
    orphan = corrective_action(world_a, owner=None)
    with world_a.context():
        CorrectiveAction.objects.filter(pk=orphan.pk).update(owner=None)
    assert browser(world_a.account_manager).post(plan_url(orphan), {"note": "x"}).status_code == 403
    assert browser(world_a.admin).post(plan_url(orphan), {"note": "Admin's plan"}).status_code == 302


def test_the_service_refuses_a_user_who_does_not_own_the_action(world_a):
    action = corrective_action(world_a)
    with world_a.context(user=world_a.engineer), pytest.raises(ActionForbidden):
        services.corrective_action_update_plan(action=action, actor=world_a.engineer, note="Mine")


@pytest.mark.parametrize("note", ["", "   ", "x" * (services.PLAN_MAX_LENGTH + 1)])
def test_an_empty_or_too_long_plan_is_a_400_naming_the_field(world_a, note):
    action = corrective_action(world_a, note="Keep me")
    response = browser(world_a.account_manager).post(plan_url(action), {"note": note, "show": "open"})
    assert response.status_code == 400
    forms = {listed.pk: form for listed, form in response.context["rows"]}
    assert "note" in forms[action.pk].errors
    assert f'id="id_action{action.pk}_note"' in response.content.decode()
    assert note_of(world_a, action) == "Keep me"


def test_another_tenants_action_is_a_404(world_a, world_b):
    theirs = corrective_action(world_b, note="Theirs")
    for user in (world_a.admin, world_a.account_manager):
        assert browser(user).post(plan_url(theirs), {"note": "Overwritten"}).status_code == 404
    assert browser(world_a.admin).post(f"{LIST}999999/plan/", {"note": "x"}).status_code == 404
    assert note_of(world_b, theirs) == "Theirs"


def test_client_users_are_sent_to_the_portal(world_a):
    action = corrective_action(world_a)
    for user in (world_a.client_admin, world_a.client_signatory, world_a.client_viewer):
        client = browser(user)
        assert client.get(LIST)["Location"] == "/portal/"
        response = client.post(plan_url(action), {"note": "From the client"})
        assert response.status_code == 302 and response["Location"] == "/portal/"
        nav = client.get("/portal/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]
        assert LIST not in nav
    assert note_of(world_a, action) == ""
