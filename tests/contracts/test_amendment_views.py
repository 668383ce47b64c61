"""Amendment pages: the contract page's Amendments and Versions sections, proposing with one field
per term, an amendment's page with its changes and actions, and the portal where the client's
signatory agrees with the password and consent; in English and Russian; bad forms refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from contracts import amendments
from contracts.models import Amendment, AmendmentState, Contract
from tests.clock import local_today
from tests.conftest import PASSWORD
from tests.contracts.api_support import active_contract


def propose(world, contract, *, days: int = 3, actor=None, changes=None) -> Amendment:
    actor = actor or world.account_manager
    with world.context(user=actor):
        return amendments.amendment_propose(
            contract=contract, actor=actor, effective_date=local_today(world.tenant) + dt.timedelta(days=days),
            reason="More sites", changes=changes or {"monthly_fee": "300000.00"})


def state_of(world, amendment) -> str:
    with world.context():
        return Amendment.objects.get(pk=amendment.pk).state


def form_data(world, contract, **overrides) -> dict:
    """What the browser posts: empty term fields, each section's text as prefilled, then `overrides`."""
    from contracts.forms import AmendmentForm

    data = {"effective_date": (local_today(world.tenant) + dt.timedelta(days=2)).isoformat(), "reason": "Growth",
            "monthly_fee": "", "quality_share_pct": "", "penalty_cap_pct": "", "acceptance_days": "", "end_date": ""}
    with world.context():
        form = AmendmentForm(contract=Contract.objects.get(pk=contract.pk))
        data.update({f"section_{name}": text for name, text in form.section_initial.items()})
    data.update(overrides)
    return data


@pytest.mark.parametrize("language", ["en", "ru"])
def test_pages_render_in_english_and_russian(client, world_a, language):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract)
    applied = propose(world_a, contract, days=0, changes={"acceptance_days": 8})
    with world_a.context():
        amendments.amendment_agree(amendment=applied, actor=world_a.client_signatory, password=PASSWORD, consent=True)
    client.force_login(world_a.account_manager)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    for url in (reverse("contracts:amendment-list"), reverse("contracts:amendment-list") + "?state=proposed",
                reverse("contracts:amendment-detail", args=[amendment.pk]),
                reverse("contracts:amendment-detail", args=[applied.pk]),
                reverse("contracts:amendment-propose", args=[contract.pk]),
                reverse("contracts:contract-detail", args=[contract.pk]),
                reverse("contracts:contract-edit", args=[contract.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">'.encode() in response.content
    detail = client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
    assert 'id="versions"' in detail and 'data-version="1"' in detail and amendment.number in detail
    assert 'data-kind="amendment_proposed"' in detail and 'data-testid="renew"' in detail
    client.force_login(world_a.client_signatory)
    client.post(reverse("set_language"), {"language": language, "next": "/portal/"})
    for url in (reverse("contracts:portal-amendment-list"),
                reverse("contracts:portal-amendment-detail", args=[amendment.pk]),
                reverse("contracts:portal-amendment-propose", args=[contract.pk]),
                reverse("contracts:portal-contract", args=[contract.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">'.encode() in response.content
    page = client.get(reverse("contracts:portal-amendment-detail", args=[amendment.pk])).content.decode()
    assert 'data-testid="agree"' in page and 'name="password"' in page


def test_the_account_manager_proposes_from_the_form(client, world_a):
    contract = active_contract(world_a)
    client.force_login(world_a.account_manager)
    url = reverse("contracts:amendment-propose", args=[contract.pk])
    form = client.get(url).content.decode()
    assert 'name="section_roles"' in form and world_a.account_manager.username in form
    response = client.post(url, form_data(world_a, contract, monthly_fee="310000"))
    assert response.status_code == 302
    with world_a.context():
        amendment = Amendment.objects.get()
    assert amendment.changes == {"monthly_fee": "310000.00"}
    assert response.url == reverse("contracts:amendment-detail", args=[amendment.pk])


@pytest.mark.parametrize(("overrides", "message"), [
    ({"effective_date": "2000-01-01"}, "before the contract starts"),
    ({}, "Change at least one term."),
    ({"monthly_fee": "250000"}, "This is the current value"),
    ({"monthly_fee": "-1"}, "greater than or equal to 0"),
    ({"reason": ""}, "This field is required."),
    ({"section_roles": "account_manager: nobody"}, "is not a member of your organisation"),
])
def test_a_bad_proposal_is_a_form_error_and_saves_nothing(client, world_a, overrides, message):
    contract = active_contract(world_a)
    client.force_login(world_a.account_manager)
    response = client.post(reverse("contracts:amendment-propose", args=[contract.pk]), form_data(world_a, contract, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    with world_a.context():
        assert Amendment.objects.count() == 0


def test_the_client_signatory_agrees_in_the_portal(client, world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract, days=0)
    client.force_login(world_a.client_signatory)
    url = reverse("contracts:portal-amendment-agree", args=[amendment.pk])
    response = client.post(url, {"password": "wrong", "consent": "on"})
    assert response.status_code == 400 and "The password is wrong." in response.content.decode()
    assert client.post(url, {"password": PASSWORD}).status_code == 400  # no consent
    assert state_of(world_a, amendment) == AmendmentState.PROPOSED
    response = client.post(url, {"password": PASSWORD, "consent": "on"})
    assert response.status_code == 302
    assert state_of(world_a, amendment) == AmendmentState.APPLIED
    with world_a.context():
        assert Contract.objects.get(pk=contract.pk).monthly_fee == 300000


def test_the_client_rejects_with_a_reason_and_the_manager_renews(client, world_a):
    contract = active_contract(world_a)
    amendment = propose(world_a, contract)
    client.force_login(world_a.client_signatory)
    url = reverse("contracts:portal-amendment-reject", args=[amendment.pk])
    assert client.post(url, {"note": ""}).status_code == 400
    assert client.post(url, {"note": "Too much"}).status_code == 302
    assert state_of(world_a, amendment) == AmendmentState.REJECTED
    client.force_login(world_a.account_manager)
    response = client.post(reverse("contracts:contract-renew", args=[contract.pk]))
    assert response.status_code == 302
    with world_a.context():
        renewal = Amendment.objects.get(renews_end_date=contract.end_date)
    assert response.url == reverse("contracts:amendment-detail", args=[renewal.pk])


def test_other_tenants_and_other_clients_get_404(client, world_a, world_b):
    from tests.factories import ClientFactory, MembershipFactory, UserFactory

    contract = active_contract(world_a)
    amendment = propose(world_a, contract)
    client.force_login(world_b.account_manager)
    for url in (reverse("contracts:amendment-detail", args=[amendment.pk]),
                reverse("contracts:amendment-propose", args=[contract.pk])):
        assert client.get(url).status_code == 404
    for name in ("amendment-agree", "amendment-reject", "amendment-cancel"):
        assert client.post(reverse(f"contracts:{name}", args=[amendment.pk]), {"note": "x"}).status_code == 404
    assert client.post(reverse("contracts:contract-renew", args=[contract.pk])).status_code == 404
    other = ClientFactory(tenant=world_a.tenant, name="Another client")
    outsider = UserFactory(username="a_outsider_admin")
    MembershipFactory(tenant=world_a.tenant, user=outsider, role="client_admin", client=other)
    client.force_login(outsider)
    assert client.get(reverse("contracts:portal-amendment-detail", args=[amendment.pk])).status_code == 404
    assert client.post(reverse("contracts:portal-amendment-agree", args=[amendment.pk]),
                       {"password": PASSWORD, "consent": "on"}).status_code == 404
    assert client.get(reverse("contracts:portal-amendment-propose", args=[contract.pk])).status_code == 404
    assert state_of(world_a, amendment) == AmendmentState.PROPOSED


def test_the_contract_form_sets_renewal_and_dispute_terms(client, world_a):
    contract = active_contract(world_a)
    client.force_login(world_a.account_manager)
    url = reverse("contracts:contract-edit", args=[contract.pk])
    page = client.get(url).content.decode()
    assert 'name="auto_renew"' in page and 'name="dispute_arbitration_days"' in page
    with world_a.context():
        contract = Contract.objects.get(pk=contract.pk)
    data = {"title": contract.title, "description": "", "end_date": contract.end_date.isoformat(),
            "auto_renew": "on", "renewal_term_months": "6", "renewal_notice_days": "45",
            "dispute_negotiation_days": "5", "dispute_mediation_days": "", "dispute_arbitration_days": ""}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with world_a.context():
        contract = Contract.objects.get(pk=contract.pk)
    assert (contract.auto_renew, contract.renewal_term_months, contract.renewal_notice_days,
            contract.dispute_negotiation_days, contract.dispute_mediation_days) == (True, 6, 45, 5, 20)
