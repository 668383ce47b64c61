"""The browser pages of contracts: what an account manager, a read-only role and a client user see
and may do, and that another tenant's ids are a 404 everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from contracts import services
from contracts.models import Client, Contract, ContractEvent, ContractParty, ContractRole, Provider
from tests.clock import add_months, local_today
from tests.factories import ClientFactory, ContractFactory, ProviderFactory
from tests.support import signed_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def ready_contract(world, **kwargs):
    """A contract in negotiation that may be activated: account manager, client signatory, start date."""
    kwargs.setdefault("end_date", None)  # open-ended: still activatable whenever the suite runs
    contract = ContractFactory(tenant=world.tenant, client=world.client, **kwargs)
    with world.context():
        services.contract_role_assign(contract=contract, actor=world.admin, role="account_manager",
                                      user=world.account_manager)
        services.contract_role_assign(contract=contract, actor=world.admin, role="client_signatory",
                                      user=world.client_signatory)
        services.contract_submit(contract=contract, actor=world.admin)
    return contract


def state_of(world, contract) -> str:
    with world.context():
        return Contract.objects.values_list("state", flat=True).get(pk=contract.pk)


def contract_form_data(world, **overrides) -> dict:
    today = local_today(world.tenant)
    data = {
        "number": "SC-NEW-1", "title": "Facility management", "client": world.client.pk,
        "provider": world.own_provider.pk, "start_date": add_months(today, -10).isoformat(),
        "end_date": (add_months(today, 13) - dt.timedelta(days=1)).isoformat(),
        "currency": "RUB", "monthly_fee": "120000.00", "quality_share_pct": "10",
        "penalty_cap_pct": "15", "acceptance_days": "5", "payment_terms_days": "10",
        "invoice_day": "1", "review_cadence": "quarterly", "description": "",
    }
    data.update(overrides)
    return data


def contract_count(world) -> int:
    with world.context():
        return Contract.objects.count()


# --- pages render -----------------------------------------------------------------------------

@pytest.mark.parametrize("url_name", [
    "home", "contracts:client-list", "contracts:client-create", "contracts:provider-list",
    "contracts:provider-create", "contracts:contract-list", "contracts:contract-create",
])
def test_account_manager_opens_every_list_and_form_page(client, world_a, url_name):
    ContractFactory(tenant=world_a.tenant, client=world_a.client, title="Helpdesk for HQ")
    response = signed_in(client, world_a.account_manager).get(reverse(url_name))
    assert response.status_code == 200
    assert b'<html lang="en">' in response.content


def test_object_pages_render_with_their_data(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client, title="Helpdesk for HQ")
    subcontractor = ProviderFactory(tenant=world_a.tenant, name="Cable Masters")
    signed_in(client, world_a.account_manager)
    pages = {
        reverse("contracts:client-detail", args=[world_a.client.pk]): ["Client of A", "Helpdesk for HQ",
                                                                       world_a.client_signatory.get_full_name()],
        reverse("contracts:client-edit", args=[world_a.client.pk]): ["Client of A"],
        reverse("contracts:provider-edit", args=[subcontractor.pk]): ["Cable Masters"],
        reverse("contracts:contract-detail", args=[contract.pk]): ["Helpdesk for HQ", "Responsibility matrix",
                                                                   "Send to negotiation", "Assign a client signatory."],
        reverse("contracts:contract-edit", args=[contract.pk]): ["Helpdesk for HQ"],
    }
    for url, texts in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        for text in texts:
            assert text in response.content.decode(), (url, text)


def test_contract_list_filters_by_state_client_and_search(client, world_a):
    other_client = ClientFactory(tenant=world_a.tenant, name="Harbour Bank")
    draft = ContractFactory(tenant=world_a.tenant, client=world_a.client, title="Printers upkeep")
    negotiating = ready_contract(world_a, title="Network upgrade")
    elsewhere = ContractFactory(tenant=world_a.tenant, client=other_client, title="Bank helpdesk")
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-list")

    def listed(**params):
        page = client.get(url, params)
        assert page.status_code == 200
        return {c.pk for c in page.context["page"]}

    assert listed() == {draft.pk, negotiating.pk, elsewhere.pk}
    assert listed(state="negotiation") == {negotiating.pk}
    assert listed(client=other_client.pk) == {elsewhere.pk}
    assert listed(q="printers") == {draft.pk}
    assert listed(q="Harbour") == {elsewhere.pk}
    # an invalid filter value is reported, and the rest of the filters still apply
    assert listed(state="bogus", q="network") == {negotiating.pk}


def test_client_list_filters_by_status_and_search(client, world_a):
    ClientFactory(tenant=world_a.tenant, name="Dormant Mills", is_active=False)
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:client-list")
    assert [c.name for c in client.get(url, {"active": "no"}).context["page"]] == ["Dormant Mills"]
    assert [c.name for c in client.get(url, {"q": "client of"}).context["page"]] == ["Client of A"]


# --- clients and providers: create and edit ---------------------------------------------------

def test_creating_a_client_saves_it_and_opens_its_page(client, world_a):
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:client-create"), {
        "name": "Polar Mining", "legal_name": "Polar Mining JSC", "tax_id": "7701234567",
        "email": "office@polar.example", "phone": "", "address": "", "is_active": "on",
    }, follow=True)
    assert response.status_code == 200
    with world_a.context():
        created = Client.objects.get(name="Polar Mining")
    assert response.redirect_chain[-1][0] == reverse("contracts:client-detail", args=[created.pk])
    assert "Client “Polar Mining” created." in response.content.decode()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "Client of A"}, "name", "This value is already used in your organisation."),
    ({"name": "Polar", "email": "not-an-email"}, "email", "Enter a valid email address."),
])
def test_client_form_with_bad_input_is_a_400_with_the_error_and_saves_nothing(client, world_a, data, field, message):
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:client-create"), data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    with world_a.context():
        assert Client.objects.count() == 1


def test_editing_a_client_changes_it_and_bad_input_changes_nothing(client, world_a):
    other = ClientFactory(tenant=world_a.tenant, name="Harbour Bank")
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:client-edit", args=[world_a.client.pk])
    assert client.post(url, {"name": "Harbour Bank"}).status_code == 400
    response = client.post(url, {"name": "Client of A, renamed", "is_active": ""})
    assert response.status_code == 302
    with world_a.context():
        world_a.client.refresh_from_db()
        other.refresh_from_db()
    assert (world_a.client.name, world_a.client.is_active) == ("Client of A, renamed", False)
    assert other.name == "Harbour Bank"


def test_creating_and_editing_a_provider(client, world_a):
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:provider-create"), {"name": "Cable Masters", "email": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:provider-list")
    with world_a.context():
        provider = Provider.objects.get(name="Cable Masters")
    assert provider.is_own is False

    url = reverse("contracts:provider-edit", args=[provider.pk])
    response = client.post(url, {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.context["form"].errors["name"]
    assert client.post(url, {"name": "Cable Masters North"}).status_code == 302
    with world_a.context():
        assert Provider.objects.filter(name="Cable Masters North").exists()
        assert not Provider.objects.filter(name="").exists()


# --- contracts: create and edit ---------------------------------------------------------------

def test_creating_a_contract_makes_a_draft_with_its_two_parties(client, world_a):
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-create"), contract_form_data(world_a))
    with world_a.context():
        contract = Contract.objects.get(number="SC-NEW-1")
        parties = set(ContractParty.objects.filter(contract=contract).values_list("kind", flat=True))
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:contract-detail", args=[contract.pk])
    assert contract.state == "draft"
    assert contract.created_by == world_a.account_manager
    assert parties == {"customer", "contractor"}


def test_new_contract_form_takes_the_client_from_the_client_page(client, world_a):
    signed_in(client, world_a.account_manager)
    response = client.get(reverse("contracts:contract-create"), {"client": world_a.client.pk})
    assert response.context["form"]["client"].value() == str(world_a.client.pk)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"end_date": "2000-01-15"}, "end_date", "The end date cannot be before the start date."),
    ({"currency": "XYZ"}, "currency", "Select a valid choice. XYZ is not one of the available choices."),
    ({"title": ""}, "title", "This field is required."),
    ({"monthly_fee": "-1"}, "monthly_fee", "Ensure this value is greater than or equal to 0."),
])
def test_contract_form_with_bad_input_is_a_400_with_the_error_and_saves_nothing(
    client, world_a, overrides, field, message
):
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-create"), contract_form_data(world_a, **overrides))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert contract_count(world_a) == 0


def test_contract_form_refuses_a_client_of_another_tenant(client, world_a, world_b):
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-create"),
                           contract_form_data(world_a, client=world_b.client.pk))
    assert response.status_code == 400
    assert "client" in response.context["form"].errors
    assert contract_count(world_a) == 0 and contract_count(world_b) == 0


def test_editing_a_contract_records_the_change_and_bad_input_changes_nothing(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client, title="Old title")
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-edit", args=[contract.pk])
    bad = contract_form_data(world_a, number=contract.number, title="Changed", start_date="2026-06-01",
                             end_date="2026-05-01")  # fixed dates: only their order matters
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "The end date cannot be before the start date." in response.context["form"].errors["end_date"]
    with world_a.context():
        contract.refresh_from_db()
    assert contract.title == "Old title"

    response = client.post(url, contract_form_data(world_a, number=contract.number, title="New title"), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "New title" in page
    assert "Terms changed" in page  # the timeline says what happened
    with world_a.context():
        contract.refresh_from_db()
    assert contract.title == "New title"


def test_an_active_contracts_terms_are_locked_in_the_form(client, world_a):
    contract = ready_contract(world_a, title="Locked")
    with world_a.context():
        services.contract_activate(contract=contract, actor=world_a.account_manager)
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-edit", args=[contract.pk])
    page = client.get(url)
    assert page.context["form"].locked
    assert page.context["form"].fields["monthly_fee"].disabled
    # a disabled field keeps its value whatever is posted
    client.post(url, contract_form_data(world_a, number=contract.number, title="Renamed", monthly_fee="1.00"))
    with world_a.context():
        contract.refresh_from_db()
    assert contract.title == "Renamed"
    assert str(contract.monthly_fee) == "250000.00"


# --- contract page: parties and roles ---------------------------------------------------------

def test_adding_and_removing_a_party_with_a_plain_post(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    subcontractor = ProviderFactory(tenant=world_a.tenant, name="Cable Masters")
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-party-add", args=[contract.pk]), {
        "party-kind": "subcontractor", "party-provider": subcontractor.pk,
        "party-representative": "Director", "party-responsibilities": "Cabling",
    })
    assert response.status_code == 302
    assert response["Location"].endswith("#parties")
    with world_a.context():
        party = ContractParty.objects.get(contract=contract, provider=subcontractor)
    page = client.get(response["Location"]).content.decode()
    assert "Party added." in page and "Cable Masters" in page

    response = client.post(reverse("contracts:contract-party-remove", args=[contract.pk, party.pk]), follow=True)
    assert "Party removed." in response.content.decode()
    with world_a.context():
        assert not ContractParty.objects.filter(pk=party.pk).exists()
        assert list(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True)) == [
            "party_added", "party_removed"
        ]


def test_adding_a_party_with_htmx_returns_the_section_and_the_refreshed_timeline(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    subcontractor = ProviderFactory(tenant=world_a.tenant, name="Cable Masters")
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-party-add", args=[contract.pk]),
                           {"party-kind": "subcontractor", "party-provider": subcontractor.pk}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page  # a partial, not the whole page
    assert 'id="parties"' in page and "Cable Masters" in page and "Party added." in page
    assert 'id="timeline" hx-swap-oob="true"' in page and "Party added" in page

    with world_a.context():
        party = ContractParty.objects.get(contract=contract, provider=subcontractor)
    response = client.post(reverse("contracts:contract-party-remove", args=[contract.pk, party.pk]), **HTMX)
    assert response.status_code == 200
    assert "Party removed." in response.content.decode()
    with world_a.context():
        assert not ContractParty.objects.filter(pk=party.pk).exists()


def test_a_refused_party_change_shows_the_error_and_changes_nothing(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    signed_in(client, world_a.account_manager)
    with world_a.context():
        customer = ContractParty.objects.get(contract=contract, kind="customer")
    # the main provider is already a party: the form says so (400 without htmx)
    response = client.post(reverse("contracts:contract-party-add", args=[contract.pk]),
                           {"party-kind": "subcontractor", "party-provider": world_a.own_provider.pk})
    assert response.status_code == 400
    assert "This organisation is already a party to the contract." in response.content.decode()
    # the customer cannot be removed: htmx shows the error inside the section
    response = client.post(reverse("contracts:contract-party-remove", args=[contract.pk, customer.pk]), **HTMX)
    assert "The contract&#x27;s client and main provider stay parties to it." in response.content.decode()
    with world_a.context():
        assert ContractParty.objects.filter(contract=contract).count() == 2
        assert not ContractEvent.objects.filter(contract=contract).exists()


def test_assigning_and_removing_a_role(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-role-add", args=[contract.pk])
    response = client.post(url, {"role-role": "resolver", "role-user": world_a.engineer.pk}, follow=True)
    assert "Role assigned." in response.content.decode()

    response = client.post(url, {"role-role": "client_signatory", "role-user": world_a.client_signatory.pk}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    signatory_row = page.split('data-role="client_signatory"')[1].split("</tr>")[0]
    assert world_a.client_signatory.get_full_name() in signatory_row
    # the checklist of the actions card (swapped out of band) no longer asks for a signatory
    assert 'id="actions" hx-swap-oob="true"' in page
    assert "Assign a client signatory." not in page

    with world_a.context():
        resolver = ContractRole.objects.get(contract=contract, role="resolver")
    response = client.post(reverse("contracts:contract-role-remove", args=[contract.pk, resolver.pk]), **HTMX)
    assert "Role removed." in response.content.decode()
    with world_a.context():
        assert list(ContractRole.objects.filter(contract=contract).values_list("role", flat=True)) == [
            "client_signatory"
        ]


def test_a_refused_role_assignment_shows_the_error_and_saves_nothing(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-role-add", args=[contract.pk])
    response = client.post(url, {"role-role": "client_signatory", "role-user": world_a.engineer.pk})
    assert response.status_code == 400
    assert "Choose a user of the contract&#x27;s client." in response.content.decode()
    response = client.post(url, {"role-role": "client_signatory", "role-user": world_a.client_viewer.pk}, **HTMX)
    assert response.status_code == 200
    assert "Only a client signatory or client administrator may sign for the client." in response.content.decode()
    with world_a.context():
        assert not ContractRole.objects.filter(contract=contract).exists()


# --- contract page: transitions ---------------------------------------------------------------

def test_transitions_move_the_contract_and_the_timeline_shows_who_from_and_to(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client, end_date=None)
    with world_a.context():
        for role, user in (("account_manager", world_a.account_manager),
                           ("client_signatory", world_a.client_signatory)):
            services.contract_role_assign(contract=contract, actor=world_a.admin, role=role, user=user)
    signed_in(client, world_a.account_manager)

    response = client.post(reverse("contracts:contract-transition", args=[contract.pk, "submit"]), follow=True)
    assert "The contract is now Negotiation." in response.content.decode()
    response = client.post(reverse("contracts:contract-transition", args=[contract.pk, "activate"]), follow=True)
    assert state_of(world_a, contract) == "active"
    assert "The contract is now Active." in response.content.decode()

    events = [e for e in response.context["timeline"] if e.kind == "transition"]
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [
        ("draft", "negotiation", world_a.account_manager), ("negotiation", "active", world_a.account_manager),
    ]
    timeline = response.content.decode().split('id="timeline"')[1]
    assert 'data-state="negotiation">Negotiation</span>' in timeline
    assert 'data-state="active">Active</span>' in timeline
    assert world_a.account_manager.get_full_name() in timeline


def test_activation_with_unmet_conditions_lists_them_and_changes_nothing(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client, start_date=None)
    with world_a.context():
        services.contract_submit(contract=contract, actor=world_a.admin)
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-transition", args=[contract.pk, "activate"]), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["“Activate” was refused:", "Set the start date.", "Assign an account manager.",
                        "Assign a client signatory."]
    assert state_of(world_a, contract) == "negotiation"
    with world_a.context():
        assert not ContractEvent.objects.filter(contract=contract, to_state="active").exists()


def test_a_transition_that_needs_a_reason_is_refused_without_one(client, world_a):
    contract = ready_contract(world_a)
    with world_a.context():
        services.contract_activate(contract=contract, actor=world_a.account_manager)
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-transition", args=[contract.pk, "suspend"])
    response = client.post(url, {"note": "  "}, follow=True)
    assert "Give a reason." in [str(m) for m in response.context["messages"]]
    assert state_of(world_a, contract) == "active"

    response = client.post(url, {"note": "Client audit"}, follow=True)
    assert state_of(world_a, contract) == "suspended"
    assert "Client audit" in response.content.decode()


def test_a_transition_not_allowed_from_the_current_state_changes_nothing(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("contracts:contract-transition", args=[contract.pk, "resume"]), follow=True)
    assert "A draft contract cannot do that." in [str(m) for m in response.context["messages"]]
    assert state_of(world_a, contract) == "draft"
    assert client.post(reverse("contracts:contract-transition", args=[contract.pk, "delete"])).status_code == 404
    assert client.get(reverse("contracts:contract-transition", args=[contract.pk, "submit"])).status_code == 405


@pytest.mark.parametrize("role", ["engineer", "accountant"])
def test_read_only_staff_see_the_contract_but_cannot_change_it(client, world_a, role):
    contract = ready_contract(world_a)
    subcontractor = ProviderFactory(tenant=world_a.tenant)
    with world_a.context():
        party = ContractParty.objects.get(contract=contract, kind="contractor")
        assignment = ContractRole.objects.filter(contract=contract).first()
    signed_in(client, getattr(world_a, role))

    page = client.get(reverse("contracts:contract-detail", args=[contract.pk]))
    assert page.status_code == 200
    assert "Activate" not in page.content.decode()
    assert "an administrator or account manager changes it" in page.content.decode()
    assert client.get(reverse("contracts:contract-list")).status_code == 200

    writes = [
        (reverse("contracts:contract-transition", args=[contract.pk, "activate"]), {}),
        (reverse("contracts:contract-party-add", args=[contract.pk]),
         {"party-kind": "subcontractor", "party-provider": subcontractor.pk}),
        (reverse("contracts:contract-party-remove", args=[contract.pk, party.pk]), {}),
        (reverse("contracts:contract-role-add", args=[contract.pk]),
         {"role-role": "resolver", "role-user": world_a.engineer.pk}),
        (reverse("contracts:contract-role-remove", args=[contract.pk, assignment.pk]), {}),
        (reverse("contracts:contract-edit", args=[contract.pk]), contract_form_data(world_a)),
        (reverse("contracts:contract-create"), contract_form_data(world_a, number="SC-X")),
        (reverse("contracts:client-create"), {"name": "Sneaky"}),
        (reverse("contracts:client-edit", args=[world_a.client.pk]), {"name": "Sneaky"}),
        (reverse("contracts:provider-create"), {"name": "Sneaky"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert state_of(world_a, contract) == "negotiation"
    with world_a.context():
        assert ContractParty.objects.filter(contract=contract).count() == 2
        assert ContractRole.objects.filter(contract=contract).count() == 2
        assert Contract.objects.count() == 1
        assert not Client.objects.filter(name="Sneaky").exists()
        assert not Provider.objects.filter(name="Sneaky").exists()


# --- the tenant wall --------------------------------------------------------------------------

def test_every_page_with_an_id_is_a_404_for_another_tenants_object(client, world_a, world_b):
    theirs = ready_contract(world_b)
    their_provider = ProviderFactory(tenant=world_b.tenant)
    mine = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    with world_b.context():
        their_party = ContractParty.objects.filter(contract=theirs).first()
        their_role = ContractRole.objects.filter(contract=theirs).first()
    signed_in(client, world_a.admin)

    gets = [
        reverse("contracts:client-detail", args=[world_b.client.pk]),
        reverse("contracts:client-edit", args=[world_b.client.pk]),
        reverse("contracts:provider-edit", args=[their_provider.pk]),
        reverse("contracts:contract-detail", args=[theirs.pk]),
        reverse("contracts:contract-edit", args=[theirs.pk]),
    ]
    posts = [
        *gets[1:2], gets[2], gets[4],
        reverse("contracts:contract-transition", args=[theirs.pk, "activate"]),
        reverse("contracts:contract-party-add", args=[theirs.pk]),
        reverse("contracts:contract-party-remove", args=[theirs.pk, their_party.pk]),
        reverse("contracts:contract-role-add", args=[theirs.pk]),
        reverse("contracts:contract-role-remove", args=[theirs.pk, their_role.pk]),
        # their party or role through my own contract's URL
        reverse("contracts:contract-party-remove", args=[mine.pk, their_party.pk]),
        reverse("contracts:contract-role-remove", args=[mine.pk, their_role.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"name": "taken", "note": "x"}).status_code == 404, url

    assert state_of(world_b, theirs) == "negotiation"
    with world_b.context():
        assert ContractParty.objects.filter(contract=theirs).count() == 2
        assert ContractRole.objects.filter(contract=theirs).count() == 2
        assert not Client.objects.filter(name="taken").exists()
    listing = client.get(reverse("contracts:contract-list")).content.decode()
    assert theirs.number not in listing and mine.number in listing


def test_a_party_of_another_contract_cannot_be_removed_through_this_one(client, world_a):
    first = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    second = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    subcontractor = ProviderFactory(tenant=world_a.tenant)
    with world_a.context():
        party = services.contract_party_add(contract=second, actor=world_a.admin, kind="subcontractor",
                                            provider=subcontractor)
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-party-remove", args=[first.pk, party.pk])
    assert client.post(url).status_code == 404
    with world_a.context():
        assert ContractParty.objects.filter(pk=party.pk).exists()


# --- the client portal ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["client_admin", "client_signatory", "client_viewer"])
def test_client_users_see_only_their_clients_contracts_in_the_portal(client, world_a, role):
    ours = ContractFactory(tenant=world_a.tenant, client=world_a.client, title="Our helpdesk")
    other_client = ClientFactory(tenant=world_a.tenant, name="Harbour Bank")
    theirs = ContractFactory(tenant=world_a.tenant, client=other_client, title="Bank helpdesk")
    signed_in(client, getattr(world_a, role))

    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("portal")
    page = client.get(reverse("portal"))
    assert page.status_code == 200
    assert [c.pk for c in page.context["page"]] == [ours.pk]
    assert "Bank helpdesk" not in page.content.decode()

    detail = client.get(reverse("contracts:portal-contract", args=[ours.pk]))
    assert detail.status_code == 200 and "Our helpdesk" in detail.content.decode()
    assert "Add a party" not in detail.content.decode()
    assert client.get(reverse("contracts:portal-contract", args=[theirs.pk])).status_code == 404


def test_the_portal_timeline_shows_transitions_only(client, world_a):
    contract = ready_contract(world_a)
    signed_in(client, world_a.client_viewer)
    response = client.get(reverse("contracts:portal-contract", args=[contract.pk]))
    assert [(e.from_state, e.to_state) for e in response.context["timeline"]] == [("draft", "negotiation")]


def test_client_users_are_sent_away_from_provider_pages(client, world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    signed_in(client, world_a.client_admin)
    urls = [
        reverse("contracts:provider-list"), reverse("contracts:provider-create"),
        reverse("contracts:provider-edit", args=[world_a.own_provider.pk]),
        reverse("contracts:client-list"), reverse("contracts:contract-list"),
        reverse("contracts:contract-detail", args=[contract.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("portal"), url
    response = client.post(reverse("contracts:contract-transition", args=[contract.pk, "submit"]))
    assert response.status_code == 302
    assert state_of(world_a, contract) == "draft"


def test_the_portal_is_for_client_users_and_another_tenants_contract_is_a_404(client, world_a, world_b):
    theirs = ContractFactory(tenant=world_b.tenant, client=world_b.client)
    signed_in(client, world_a.client_signatory)
    assert client.get(reverse("contracts:portal-contract", args=[theirs.pk])).status_code == 404
    signed_in(client, world_a.account_manager)
    response = client.get(reverse("portal"))
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_lists_use_a_bounded_number_of_queries(client, world_a, django_assert_max_num_queries):
    for n in range(12):
        ContractFactory(tenant=world_a.tenant, client=ClientFactory(tenant=world_a.tenant, name=f"Client {n:02d}"))
    signed_in(client, world_a.account_manager)
    # a constant number whatever the row count: no query per contract or client (the contract list
    # also reads the user's saved views, in one query)
    for url in (reverse("contracts:contract-list"), reverse("contracts:client-list")):
        with django_assert_max_num_queries(11):
            assert client.get(url).status_code == 200
    # the dashboard has a dozen figures; tests/reviews/test_dashboard.py checks its count stays flat
    with django_assert_max_num_queries(20):
        assert client.get(reverse("home")).status_code == 200


def test_the_review_lead_time_is_set_in_the_form_and_bounded(client, world_a):
    signed_in(client, world_a.account_manager)
    url = reverse("contracts:contract-create")
    response = client.post(url, contract_form_data(world_a, review_lead_days="91"))
    assert response.status_code == 400 and "review_lead_days" in response.context["form"].errors
    client.post(url, contract_form_data(world_a, review_lead_days="30"))
    client.post(url, contract_form_data(world_a, number="SC-NEW-2"))  # left out: the default
    with world_a.context():
        assert dict(Contract.objects.values_list("number", "review_lead_days")) == {"SC-NEW-1": 30, "SC-NEW-2": 14}
