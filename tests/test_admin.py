"""The Django admin keeps the tenant wall: only the current tenant's rows, 404 for another's,
choices of the tenant's own, writes through the services, and nothing for those without a role."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse

from contracts.models import Client, Contract, ContractEvent, ContractParty, ContractRole, Provider
from tenancy.admin_base import TenantScopedAdmin
from tenancy.context import tenant_context
from tenancy.models import ApiKey, Membership, Notification, Tenant, TenantOwned

from .factories import (
    ClientFactory,
    ContractFactory,
    ContractRoleFactory,
    MembershipFactory,
    ProviderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def login(client):
    """login(user, staff=True) -> the test client, logged in to the admin as `user`."""

    def log_in(user, *, staff: bool = True):
        if staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        client.force_login(user)
        return client

    return log_in


def url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def form_data(response) -> dict:
    """What the browser posts back unchanged: the main form and every inline formset."""
    data: dict = {}

    def put(form):
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            data[form.add_prefix(name)] = "" if value is None else value

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.initial_forms:
            put(form)
    return data


def add_row(data: dict, prefix: str, **values) -> int:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    return index


def row_index(response, prefix: str, pk: int) -> int:
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    return next(n for n, form in enumerate(formset.initial_forms) if form.instance.pk == pk)


def contract_fields(world, **overrides) -> dict:
    data = {
        "number": "ADM-1", "title": "Facility services", "client": world.client.pk,
        "provider": world.own_provider.pk, "description": "", "start_date": "2026-02-01", "end_date": "",
        "currency": "RUB", "monthly_fee": "100000.00", "quality_share_pct": "10.00",
        "penalty_cap_pct": "15.00", "payment_terms_days": "10", "invoice_day": "1",
        "acceptance_days": "5", "review_cadence": "quarterly",
    }
    data.update(overrides)
    return data


def choices(world, field) -> set:
    """A form field's choices, read as the request read them (inside its tenant: RLS applies)."""
    with world.context():
        return set(field.queryset)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the tenant wall --------------------------------------------------------------------------


def test_every_tenant_owned_admin_is_tenant_scoped():
    registered = {model: model_admin for model, model_admin in admin.site._registry.items()
                  if issubclass(model, TenantOwned)}
    assert {Client, Provider, Contract, Membership, ApiKey, Notification} <= set(registered)
    assert all(isinstance(model_admin, TenantScopedAdmin) for model_admin in registered.values())


def test_change_lists_show_only_the_current_tenants_rows(world_a, world_b, login):
    mine = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    theirs = ContractFactory(tenant=world_b.tenant, client=world_b.client)
    subcontractor_b = ProviderFactory(tenant=world_b.tenant, name="Hidden subcontractor")
    web = login(world_a.account_manager)

    contracts = web.get(url(Contract))
    assert contracts.status_code == 200
    assert listed(contracts) == {mine.pk}
    assert theirs.number not in contracts.content.decode()

    clients = web.get(url(Client))
    with world_a.context():
        assert listed(clients) == set(Client.objects.values_list("pk", flat=True))
    assert world_b.client.name not in clients.content.decode()

    providers = web.get(url(Provider))
    assert world_a.own_provider.pk in listed(providers)
    assert not listed(providers) & {world_b.own_provider.pk, subcontractor_b.pk}
    assert subcontractor_b.name not in providers.content.decode()


def test_a_search_or_filter_by_another_tenants_client_finds_nothing(world_a, world_b, login):
    mine = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    ContractFactory(tenant=world_a.tenant)  # a second client, so the client filter is offered
    ContractFactory(tenant=world_b.tenant, client=world_b.client)
    web = login(world_a.account_manager)
    assert listed(web.get(url(Contract), {"client__id__exact": world_a.client.pk})) == {mine.pk}
    assert listed(web.get(url(Contract), {"client__id__exact": world_b.client.pk})) == set()
    assert listed(web.get(url(Contract), {"q": world_b.client.name})) == set()


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_another_tenants_contract_answers_404(world_a, world_b, login, view):
    theirs = ContractFactory(tenant=world_b.tenant, client=world_b.client)
    web = login(world_a.account_manager)
    response = web.get(url(Contract, view, theirs.pk))
    assert response.status_code == 404
    assert theirs.title not in response.content.decode()


def test_another_tenants_client_and_provider_answer_404_like_a_missing_id(world_a, world_b, login):
    web = login(world_a.account_manager)
    assert web.get(url(Client, "change", world_b.client.pk)).status_code == 404
    assert web.get(url(Provider, "change", world_b.own_provider.pk)).status_code == 404
    assert web.get(url(Client, "change", 987654)).status_code == 404
    posted = web.post(url(Client, "change", world_b.client.pk), {"name": "Taken over"})
    assert posted.status_code == 404
    with world_b.context():
        assert Client.objects.get(pk=world_b.client.pk).name == world_b.client.name


def test_a_transition_action_never_touches_another_tenants_contract(world_a, world_b, login):
    mine = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    theirs = ContractFactory(tenant=world_b.tenant, client=world_b.client)
    web = login(world_a.account_manager)
    response = web.post(url(Contract), {"action": "transition_submit", "_selected_action": [mine.pk, theirs.pk]})
    assert response.status_code == 302
    with world_a.context():
        mine = Contract.objects.get(pk=mine.pk)
        assert mine.state == "negotiation"
        event = ContractEvent.objects.get(contract=mine, kind=ContractEvent.Kind.TRANSITION)
        assert (event.from_state, event.to_state, event.actor) == ("draft", "negotiation", world_a.account_manager)
        assert event.actor_label.endswith("(admin)")
    with world_b.context():
        assert Contract.objects.get(pk=theirs.pk).state == "draft"
        assert not ContractEvent.objects.filter(contract_id=theirs.pk).exists()


def test_a_refused_transition_is_reported_and_changes_nothing(world_a, login):
    draft = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(world_a.account_manager)
    response = web.post(url(Contract), {"action": "transition_activate", "_selected_action": [draft.pk]}, follow=True)
    assert any(draft.number in message for message in messages_of(response))
    with world_a.context():
        assert Contract.objects.get(pk=draft.pk).state == "draft"


# --- forms: choices, the tenant column, the services -----------------------------------------


def test_a_client_added_in_the_admin_belongs_to_the_current_tenant(world_a, world_b, login):
    web = login(world_a.account_manager)
    form = web.get(url(Client, "add"))
    assert "tenant" not in form.context["adminform"].form.fields
    response = web.post(url(Client, "add"), {"name": "Northwind", "tax_id": "7700000001", "is_active": "on",
                                             "tenant": world_b.tenant.pk})
    assert response.status_code == 302
    with world_a.context():
        added = Client.objects.get(name="Northwind")
    assert added.tenant_id == world_a.tenant.pk


def test_a_client_name_taken_in_the_tenant_is_a_form_error_but_free_in_another(world_a, world_b, login):
    web = login(world_a.account_manager)
    taken = web.post(url(Client, "add"), {"name": world_a.client.name, "is_active": "on"})
    assert taken.status_code == 200
    assert taken.context["adminform"].form.errors["name"]
    free = web.post(url(Client, "add"), {"name": world_b.client.name, "is_active": "on"})
    assert free.status_code == 302


def test_the_contract_form_offers_only_the_current_tenants_clients_and_providers(world_a, world_b, login):
    other_a = ClientFactory(tenant=world_a.tenant, name="Second client of A")
    web = login(world_a.account_manager)
    response = web.get(url(Contract, "add"))
    form = response.context["adminform"].form
    assert choices(world_a, form.fields["client"]) == {world_a.client, other_a}
    assert choices(world_a, form.fields["provider"]) == {world_a.own_provider}
    assert form.initial["provider"] == world_a.own_provider.pk
    assert world_b.client.name not in response.content.decode()


def test_another_tenants_client_in_the_contract_form_is_refused_and_nothing_is_saved(world_a, world_b, login):
    web = login(world_a.account_manager)
    response = web.post(url(Contract, "add"), contract_fields(world_a, client=world_b.client.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["client"]
    with world_a.context():
        assert not Contract.objects.exists()
    with world_b.context():
        assert not Contract.objects.exists()


def test_a_contract_added_in_the_admin_is_created_by_the_service(world_a, login):
    web = login(world_a.account_manager)
    response = web.post(url(Contract, "add"), contract_fields(world_a))
    assert response.status_code == 302
    with world_a.context():
        contract = Contract.objects.get(number="ADM-1")
        assert contract.tenant_id == world_a.tenant.pk
        assert contract.state == "draft"
        assert contract.created_by == world_a.account_manager
        assert set(contract.parties.values_list("kind", flat=True)) == {"customer", "contractor"}
        created = ContractEvent.objects.get(contract=contract, kind=ContractEvent.Kind.CREATED)
        assert created.actor_label.endswith("(admin)")


def test_a_contract_number_taken_in_the_tenant_is_shown_on_the_form_and_nothing_is_saved(world_a, world_b, login):
    ContractFactory(tenant=world_a.tenant, client=world_a.client, number="ADM-1")
    ContractFactory(tenant=world_b.tenant, client=world_b.client, number="ADM-2")
    web = login(world_a.account_manager)
    taken = web.post(url(Contract, "add"), contract_fields(world_a, number="ADM-1", title="Duplicate"))
    assert taken.status_code == 200
    assert taken.context["adminform"].form.errors["number"]
    with world_a.context():
        assert not Contract.objects.filter(title="Duplicate").exists()
    # numbers are unique per tenant: B's number is free in A
    assert web.post(url(Contract, "add"), contract_fields(world_a, number="ADM-2")).status_code == 302


def test_the_contract_state_is_read_only_and_edits_go_through_the_service(world_a, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(world_a.account_manager)
    page = web.get(url(Contract, "change", contract.pk))
    assert page.status_code == 200
    assert "state" not in page.context["adminform"].form.fields
    assert 'name="state"' not in page.content.decode()

    data = form_data(page)
    data.update(state="active", title="Renamed in the admin")
    response = web.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 302
    with world_a.context():
        contract = Contract.objects.get(pk=contract.pk)
        assert contract.state == "draft"
        assert contract.title == "Renamed in the admin"
        updated = ContractEvent.objects.get(contract=contract, kind=ContractEvent.Kind.UPDATED)
        assert "title" in updated.data["changed"]


def test_an_active_contracts_terms_are_read_only_in_the_admin(world_a, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    with world_a.context():
        Contract.objects.filter(pk=contract.pk).update(state="active")
    web = login(world_a.account_manager)
    fields = web.get(url(Contract, "change", contract.pk)).context["adminform"].form.fields
    assert {"title", "description", "end_date"} <= set(fields)
    assert not {"monthly_fee", "client", "number"} & set(fields)


def test_the_timeline_inline_cannot_be_edited(world_a, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(world_a.account_manager)
    web.post(url(Contract), {"action": "transition_submit", "_selected_action": [contract.pk]})
    page = web.get(url(Contract, "change", contract.pk))
    timeline = next(i for i in page.context["inline_admin_formsets"] if i.formset.model is ContractEvent)
    assert timeline.has_view_permission
    assert not (timeline.has_add_permission or timeline.has_change_permission or timeline.has_delete_permission)
    assert len(timeline.formset.initial_forms) == 1


# --- inlines: parties and the responsibility matrix -------------------------------------------


def test_a_party_added_inline_goes_through_the_service(world_a, world_b, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    subcontractor = ProviderFactory(tenant=world_a.tenant, name="Cleaning Co")
    web = login(world_a.account_manager)
    page = web.get(url(Contract, "change", contract.pk))
    parties = next(i.formset for i in page.context["inline_admin_formsets"] if i.formset.prefix == "parties")
    assert choices(world_a, parties.form.base_fields["provider"]) == {world_a.own_provider, subcontractor}
    data = form_data(page)
    add_row(data, "parties", kind="subcontractor", provider=subcontractor.pk, representative="Director")
    response = web.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 302
    with world_a.context():
        party = ContractParty.objects.get(contract=contract, provider=subcontractor)
        assert (party.kind, party.representative) == ("subcontractor", "Director")
        assert ContractEvent.objects.filter(contract=contract, kind=ContractEvent.Kind.PARTY_ADDED).exists()


def test_another_tenants_provider_cannot_join_a_contract(world_a, world_b, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(world_a.account_manager)
    data = form_data(web.get(url(Contract, "change", contract.pk)))
    add_row(data, "parties", kind="subcontractor", provider=world_b.own_provider.pk)
    response = web.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 200
    with world_a.context():
        assert contract.parties.count() == 2


def test_removing_the_customer_party_is_refused_on_the_form(world_a, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    with world_a.context():
        customer = ContractParty.objects.get(contract=contract, kind="customer")
    web = login(world_a.account_manager)
    page = web.get(url(Contract, "change", contract.pk))
    data = form_data(page)
    data.update(title="Renamed, but the save is refused")
    data[f"parties-{row_index(page, 'parties', customer.pk)}-DELETE"] = "on"
    response = web.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 200
    parties = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == "parties")
    assert parties.non_form_errors()
    with world_a.context():
        assert ContractParty.objects.filter(pk=customer.pk).exists()
        # the whole save is rolled back, not only the refused part
        assert Contract.objects.get(pk=contract.pk).title == contract.title


def test_roles_are_assigned_and_removed_inline_through_the_service(world_a, world_b, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    old = ContractRoleFactory(tenant=world_a.tenant, contract=contract, role="resolver", user=world_a.engineer)
    web = login(world_a.account_manager)
    page = web.get(url(Contract, "change", contract.pk))
    roles = next(i.formset for i in page.context["inline_admin_formsets"] if i.formset.prefix == "roles")
    offered = choices(world_a, roles.form.base_fields["user"])
    assert world_a.account_manager in offered and world_a.client_signatory in offered
    assert not offered & {world_b.account_manager, world_b.client_signatory}

    data = form_data(page)
    add_row(data, "roles", role="client_signatory", user=world_a.client_signatory.pk)
    data[f"roles-{row_index(page, 'roles', old.pk)}-DELETE"] = "on"
    response = web.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 302
    with world_a.context():
        assert list(ContractRole.objects.filter(contract=contract).values_list("role", "user")) == [
            ("client_signatory", world_a.client_signatory.pk)
        ]
        kinds = set(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True))
        assert {ContractEvent.Kind.ROLE_ASSIGNED, ContractEvent.Kind.ROLE_REMOVED} <= kinds


def test_another_tenants_user_cannot_get_a_role_on_a_contract(world_a, world_b, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(world_a.account_manager)
    data = form_data(web.get(url(Contract, "change", contract.pk)))
    add_row(data, "roles", role="resolver", user=world_b.engineer.pk)
    response = web.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 200
    with world_a.context():
        assert not ContractRole.objects.filter(contract=contract).exists()


# --- who may use the admin --------------------------------------------------------------------


def test_a_member_who_is_not_staff_is_sent_to_the_admin_login(world_a, login):
    web = login(world_a.account_manager, staff=False)
    for address in (reverse("admin:index"), url(Contract)):
        response = web.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ["client_admin", "client_signatory", "engineer", "accountant"])
def test_staff_without_a_managing_role_gets_no_tenant_data(world_a, login, role):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(getattr(world_a, role))
    index = web.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    assert web.get(url(Contract)).status_code == 403
    assert web.get(url(Contract, "change", contract.pk)).status_code == 403
    assert web.post(url(Client, "add"), {"name": "Sneaky", "is_active": "on"}).status_code == 403
    with world_a.context():
        assert not Client.objects.filter(name="Sneaky").exists()


def test_staff_without_a_membership_sees_no_tenant_data_and_no_error(world_a, login):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    web = login(UserFactory(username="lonely_staff"))
    index = web.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    for model in (Contract, Client, Provider, Membership, ApiKey, Notification, Tenant):
        assert web.get(url(model)).status_code == 403
    assert web.get(url(Contract, "change", contract.pk)).status_code == 404
    assert web.get(url(Contract, "add")).status_code == 403


def test_a_superuser_works_inside_the_current_tenant_with_the_role_it_holds(world_a, world_b, login):
    ContractFactory(tenant=world_a.tenant, client=world_a.client)
    root = UserFactory(username="root", is_superuser=True)
    web = login(root)
    # no membership: the platform's tenants, but no tenant's data
    assert listed(web.get(url(Tenant))) == {world_a.tenant.pk, world_b.tenant.pk}
    assert web.get(url(Contract)).status_code == 403
    # a membership without a managing role does not become one by being a superuser
    MembershipFactory(tenant=world_a.tenant, user=root, role="engineer")
    assert web.get(url(Contract)).status_code == 403


def test_a_superuser_adds_a_tenant_with_its_own_provider(world_a, login):
    web = login(UserFactory(username="root", is_superuser=True))
    response = web.post(url(Tenant, "add"), {"name": "Tenant C", "slug": "tenant-c", "currency": "EUR",
                                             "vat_rate": "20.00", "time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="tenant-c")
    assert tenant.currency == "EUR"
    with tenant_context(tenant):
        assert Provider.objects.filter(is_own=True).count() == 1


def test_a_tenant_admin_sees_only_its_own_tenant_read_only(world_a, world_b, login):
    web = login(world_a.admin)
    assert listed(web.get(url(Tenant))) == {world_a.tenant.pk}
    assert web.get(url(Tenant, "change", world_b.tenant.pk)).status_code == 404
    assert web.get(url(Tenant, "change", world_a.tenant.pk)).status_code == 200
    assert web.post(url(Tenant, "change", world_a.tenant.pk), {"name": "Renamed"}).status_code == 403
    assert web.get(url(Tenant, "add")).status_code == 403
    assert login(world_a.account_manager).get(url(Tenant)).status_code == 403


# --- memberships, API keys, notifications -----------------------------------------------------


def test_memberships_are_the_current_tenants_and_its_administrators(world_a, world_b, login):
    web = login(world_a.admin)
    with world_a.context():
        mine = set(Membership.objects.values_list("pk", flat=True))
    with world_b.context():
        theirs = Membership.objects.get(user=world_b.engineer)
    assert listed(web.get(url(Membership))) == mine
    assert web.get(url(Membership, "change", theirs.pk)).status_code == 404
    assert login(world_a.account_manager).get(url(Membership)).status_code == 403


def test_a_tenant_admin_adds_a_member_by_username(world_a, world_b, login):
    newcomer = UserFactory(username="newcomer")
    web = login(world_a.admin)
    form = web.get(url(Membership, "add")).context["adminform"].form
    assert choices(world_a, form.fields["client"]) == {world_a.client}

    response = web.post(url(Membership, "add"), {"person": "newcomer", "role": "engineer", "client": ""})
    assert response.status_code == 302
    with world_a.context():
        assert Membership.objects.get(user=newcomer).role == "engineer"

    again = web.post(url(Membership, "add"), {"person": "newcomer", "role": "engineer", "client": ""})
    assert again.context["adminform"].form.errors["person"]
    foreign_client = web.post(url(Membership, "add"), {"person": UserFactory().username,
                                                        "role": "client_viewer", "client": world_b.client.pk})
    assert foreign_client.context["adminform"].form.errors["client"]


def test_a_tenant_admin_cannot_take_away_its_own_access(world_a, login):
    web = login(world_a.admin)
    with world_a.context():
        own = Membership.objects.get(user=world_a.admin)
    page = web.get(url(Membership, "change", own.pk))
    data = form_data(page)
    data["role"] = "engineer"
    response = web.post(url(Membership, "change", own.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"]
    with world_a.context():
        assert Membership.objects.get(pk=own.pk).role == "admin"


def test_api_keys_are_listed_without_their_hash_and_revoked_through_the_service(world_a, world_b, login, api_key_for):
    api_key_for(world_a)
    api_key_for(world_b)
    with world_a.context():
        mine = ApiKey.objects.get()
    with world_b.context():
        theirs = ApiKey.objects.get()
    web = login(world_a.admin)
    page = web.get(url(ApiKey))
    assert listed(page) == {mine.pk}
    assert mine.key_hash not in page.content.decode()
    detail = web.get(url(ApiKey, "change", mine.pk))
    assert detail.status_code == 200
    assert mine.key_hash not in detail.content.decode()
    assert web.post(url(ApiKey, "change", mine.pk), {"name": "renamed"}).status_code == 403
    assert web.get(url(ApiKey, "change", theirs.pk)).status_code == 404
    assert web.get(url(ApiKey, "add")).status_code == 403

    web.post(url(ApiKey), {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]})
    with world_a.context():
        assert ApiKey.objects.get(pk=mine.pk).revoked_at is not None
    with world_b.context():
        assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert login(world_a.account_manager).get(url(ApiKey)).status_code == 403


def test_notifications_are_listed_per_tenant_and_read_only(world_a, world_b, login):
    with world_a.context():
        mine = Notification.objects.create(user=world_a.admin, kind="test", title="For A", dedupe_key="a")
    with world_b.context():
        theirs = Notification.objects.create(user=world_b.admin, kind="test", title="For B", dedupe_key="b")
    web = login(world_a.admin)
    assert listed(web.get(url(Notification))) == {mine.pk}
    assert web.get(url(Notification, "change", theirs.pk)).status_code == 404
    assert web.post(url(Notification, "change", mine.pk), {"title": "Changed"}).status_code == 403


def test_the_admin_header_names_the_tenant_and_offers_the_switch(world_a, world_b, login):
    MembershipFactory(user=world_a.account_manager, tenant=world_b.tenant, role="account_manager")
    page = login(world_a.account_manager).get(reverse("admin:index")).content.decode()
    assert world_a.tenant.name in page
    assert reverse("tenancy:tenant-switch") in page
