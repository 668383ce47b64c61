"""The rating bands editor of a contract: the defaults or the contract's bands, add / edit / delete
through the billing services with their checks, who may edit, and the tenant wall."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from billing.models import RatingBand

from .support import billed_contract, build

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(contract) -> str:
    return f"/contracts/{contract.pk}/rating-bands/"


def band_url(contract, band) -> str:
    return f"{page_url(contract)}{band.pk}/"


def bands_of(world, contract) -> list[tuple[Decimal, Decimal]]:
    with world.context():
        return list(RatingBand.objects.filter(contract=contract).order_by("-min_rating")
                    .values_list("min_rating", "adjustment_pct"))


def band(world, contract, min_rating: str) -> RatingBand:
    with world.context():
        return RatingBand.objects.get(contract=contract, min_rating=Decimal(min_rating))


def test_a_contract_without_bands_says_the_defaults_apply_and_the_accountant_only_reads(world_a):
    contract = billed_contract(world_a)
    accountant = browser(world_a.accountant)
    page = accountant.get(page_url(contract))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="default-bands"' in html and "4.50" in html and "-10.00" in html
    assert contract.number in html
    assert 'name="min_rating"' not in html  # no forms for a reader
    assert accountant.post(page_url(contract), {"min_rating": "4", "adjustment_pct": "5"}).status_code == 403
    assert bands_of(world_a, contract) == []
    assert browser(world_a.engineer).get(page_url(contract)).status_code == 403


def test_the_accountant_sees_the_contracts_bands_without_forms(world_a):
    contract = billed_contract(world_a, bands=[("4.00", "3.00"), ("1.00", "-20.00")])
    mine = band(world_a, contract, "4.00")
    accountant = browser(world_a.accountant)
    html = accountant.get(page_url(contract)).content.decode()
    assert "-20.00" in html and 'data-testid="default-bands"' not in html and 'name="min_rating"' not in html
    assert accountant.post(band_url(contract, mine), {"min_rating": "4", "adjustment_pct": "9"}).status_code == 403
    assert accountant.post(f"{band_url(contract, mine)}delete/").status_code == 403
    assert bands_of(world_a, contract) == [(Decimal("4.00"), Decimal("3.00")), (Decimal("1.00"), Decimal("-20.00"))]


@pytest.mark.parametrize("role", ["admin", "account_manager"])
def test_an_editor_adds_edits_and_deletes_bands(world_a, role):
    contract = billed_contract(world_a)
    editor = browser(getattr(world_a, role))
    assert 'name="min_rating"' in editor.get(page_url(contract)).content.decode()

    added = editor.post(page_url(contract), {"min_rating": "4.5", "adjustment_pct": "7.5"})
    assert added.status_code == 302 and added["Location"] == page_url(contract)
    editor.post(page_url(contract), {"min_rating": "1", "adjustment_pct": "-15"})
    assert bands_of(world_a, contract) == [(Decimal("4.50"), Decimal("7.50")), (Decimal("1.00"), Decimal("-15.00"))]
    html = editor.get(page_url(contract)).content.decode()
    assert 'data-testid="default-bands"' not in html and "7.50" in html

    top = band(world_a, contract, "4.50")
    edited = editor.post(band_url(contract, top), {"min_rating": "4.00", "adjustment_pct": "10"})
    assert edited.status_code == 302
    assert bands_of(world_a, contract) == [(Decimal("4.00"), Decimal("10.00")), (Decimal("1.00"), Decimal("-15.00"))]

    assert editor.get(f"{band_url(contract, top)}delete/").status_code == 405  # never a GET
    deleted = editor.post(f"{band_url(contract, top)}delete/")
    assert deleted.status_code == 302
    assert bands_of(world_a, contract) == [(Decimal("1.00"), Decimal("-15.00"))]


@pytest.mark.parametrize(("data", "field"), [
    ({"min_rating": "0.5", "adjustment_pct": "0"}, "min_rating"),
    ({"min_rating": "5.01", "adjustment_pct": "0"}, "min_rating"),
    ({"min_rating": "12", "adjustment_pct": "0"}, "min_rating"),
    ({"min_rating": "3", "adjustment_pct": "-100.01"}, "adjustment_pct"),
    ({"min_rating": "3", "adjustment_pct": "150"}, "adjustment_pct"),
    ({"min_rating": "three", "adjustment_pct": "0"}, "min_rating"),
    ({"min_rating": "3", "adjustment_pct": ""}, "adjustment_pct"),
    ({"min_rating": "4.00", "adjustment_pct": "1"}, "min_rating"),  # the contract has a band from 4 already
    ({"min_rating": "4", "adjustment_pct": "1"}, "min_rating"),
])
def test_bad_input_when_adding_is_a_400_naming_the_field_and_nothing_is_saved(world_a, data, field):
    contract = billed_contract(world_a, bands=[("4.00", "3.00")])
    response = browser(world_a.account_manager).post(page_url(contract), data)
    assert response.status_code == 400
    assert field in response.context["add_form"].errors, response.context["add_form"].errors
    assert 'class="field field-number has-error' in response.content.decode()
    assert bands_of(world_a, contract) == [(Decimal("4.00"), Decimal("3.00"))]


@pytest.mark.parametrize(("data", "field"), [
    ({"min_rating": "1.00", "adjustment_pct": "3"}, "min_rating"),  # the other band's threshold
    ({"min_rating": "6", "adjustment_pct": "3"}, "min_rating"),
    ({"min_rating": "4", "adjustment_pct": "-101"}, "adjustment_pct"),
])
def test_bad_input_when_editing_is_a_400_naming_the_field_and_nothing_is_saved(world_a, data, field):
    contract = billed_contract(world_a, bands=[("4.00", "3.00"), ("1.00", "-20.00")])
    top = band(world_a, contract, "4.00")
    response = browser(world_a.admin).post(band_url(contract, top), data)
    assert response.status_code == 400
    forms = {listed.pk: form for listed, form in response.context["rows"]}
    assert field in forms[top.pk].errors
    assert f'id="id_band{top.pk}_{field}"' in response.content.decode()
    assert bands_of(world_a, contract) == [(Decimal("4.00"), Decimal("3.00")), (Decimal("1.00"), Decimal("-20.00"))]


def test_another_tenants_contract_or_band_is_a_404_on_every_url(world_a, world_b):
    theirs = billed_contract(world_b, bands=[("4.00", "3.00")])
    their_band = band(world_b, theirs, "4.00")
    mine = billed_contract(world_a, bands=[("3.00", "0.00")])
    sibling = billed_contract(world_a, bands=[("2.00", "-5.00")])
    sibling_band = band(world_a, sibling, "2.00")
    for user in (world_a.admin, world_a.account_manager):
        client = browser(user)
        assert client.get(page_url(theirs)).status_code == 404
        assert client.post(page_url(theirs), {"min_rating": "2", "adjustment_pct": "1"}).status_code == 404
        assert client.post(band_url(theirs, their_band), {"min_rating": "2", "adjustment_pct": "1"}).status_code == 404
        assert client.post(f"{band_url(theirs, their_band)}delete/").status_code == 404
        # their band under my contract, and another contract's band under this one
        assert client.post(band_url(mine, their_band), {"min_rating": "2", "adjustment_pct": "1"}).status_code == 404
        assert client.post(f"{band_url(mine, their_band)}delete/").status_code == 404
        assert client.post(f"{band_url(mine, sibling_band)}delete/").status_code == 404
    assert browser(world_a.accountant).get(page_url(theirs)).status_code == 404
    assert bands_of(world_b, theirs) == [(Decimal("4.00"), Decimal("3.00"))]
    assert bands_of(world_a, sibling) == [(Decimal("2.00"), Decimal("-5.00"))]


def test_client_users_are_sent_to_the_portal(world_a):
    contract = billed_contract(world_a, bands=[("4.00", "3.00")])
    mine = band(world_a, contract, "4.00")
    for user in (world_a.client_admin, world_a.client_signatory, world_a.client_viewer):
        client = browser(user)
        for response in (client.get(page_url(contract)),
                         client.post(page_url(contract), {"min_rating": "2", "adjustment_pct": "1"}),
                         client.post(band_url(contract, mine), {"min_rating": "2", "adjustment_pct": "1"}),
                         client.post(f"{band_url(contract, mine)}delete/")):
            assert response.status_code == 302 and response["Location"] == "/portal/"
    assert bands_of(world_a, contract) == [(Decimal("4.00"), Decimal("3.00"))]


def test_the_invoice_page_links_to_the_contracts_bands(world_a):
    contract = billed_contract(world_a)
    invoice = build(world_a, contract)
    html = browser(world_a.accountant).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert f'href="{page_url(contract)}"' in html
