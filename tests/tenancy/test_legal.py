"""Legal details: ИНН, КПП, ОГРН, БИК and accounts checked with the official algorithms, on the
client form, the client API, the Django admin and the tenant's own page; printed on documents."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.pdf import invoices_html
from contracts.models import Client, Provider
from tenancy import legal
from tenancy.models import Tenant
from tests.contracts.api_support import assert_error

CLIENTS = "/api/v1/clients/"
PAGE = "/organisation/details/"

# Public example numbers: Sberbank (ИНН, КПП, ОГРН, БИК, к/с), Gazprom and Yandex's ИНН, a
# well-known sample ИНН/ОГРНИП of an individual entrepreneur; the settlement account is made valid
# for Sberbank's БИК by its control key.
SBER = {"inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "settlement_account": "40702810310000000001",
        "bank_name": "ПАО Сбербанк", "legal_address": "117312, г. Москва, ул. Вавилова, д. 19"}


@pytest.mark.parametrize("inn", ["7707083893", "7736050003", "7736207543", "500100732259"])
def test_real_inns_are_valid(inn):
    assert legal.inn_is_valid(inn)
    legal.validate_inn(inn)


@pytest.mark.parametrize("inn", ["7707083894", "7736207544", "500100732258", "500100732269", "770708389",
                                 "77070838930", "77O7083893", "７７０７０８３８９３", ""])
def test_inns_with_a_wrong_check_digit_or_length_are_refused(inn):
    assert not legal.inn_is_valid(inn)
    with pytest.raises(ValidationError):
        legal.validate_inn(inn)


@pytest.mark.parametrize(("ogrn", "valid"), [
    ("1027700132195", True), ("1027700229193", True), ("304500116000157", True),
    ("1027700132196", False), ("304500116000158", False), ("102770013219", False), ("10277001321950", False),
])
def test_ogrn_and_ogrnip_check_digits(ogrn, valid):
    assert legal.ogrn_is_valid(ogrn) is valid


@pytest.mark.parametrize(("kpp", "valid"), [
    ("773601001", True), ("7736AB001", True), ("7736ab001", False), ("77360100", False), ("7736010011", False),
    ("A73601001", False),
])
def test_kpp_format(kpp, valid):
    if valid:
        legal.validate_kpp(kpp)
    else:
        with pytest.raises(ValidationError):
            legal.validate_kpp(kpp)


def test_accounts_are_checked_with_the_bik():
    assert legal.correspondent_account_is_valid("30101810400000000225", "044525225")
    assert not legal.correspondent_account_is_valid("30101810400000000226", "044525225")
    assert legal.settlement_account_is_valid("40702810310000000001", "044525225")
    assert not legal.settlement_account_is_valid("40702810310000000001", "044525226")
    assert not legal.settlement_account_is_valid("40702810410000000001", "044525225")


def test_the_fields_are_checked_against_each_other():
    errors = legal.legal_details_errors({"inn": "500100732259", "kpp": "773601001", "ogrn": "1027700132195"})
    assert set(errors) == {"kpp", "ogrn"}
    errors = legal.legal_details_errors({"inn": "7707083893", "ogrn": "304500116000157"})
    assert set(errors) == {"ogrn"}
    errors = legal.legal_details_errors({"settlement_account": "40702810310000000001", "bik": "044525226"})
    assert set(errors) == {"settlement_account"}
    errors = legal.legal_details_errors({"settlement_account": "40702810310000000001"})
    assert set(errors) == {"settlement_account", "bik"}
    assert legal.legal_details_errors(SBER) == {}
    assert legal.legal_details_errors({}) == {}


def test_printed_details_read_in_the_documents_language():
    client = Client(name="Sber", **SBER)
    assert legal.details_text(client, "ru") == (
        "ИНН 7707083893, КПП 773601001, ОГРН 1027700132195, 117312, г. Москва, ул. Вавилова, д. 19; "
        "р/с 40702810310000000001 в ПАО Сбербанк, БИК 044525225, к/с 30101810400000000225")
    assert legal.details_text(client, "en").startswith("INN 7707083893, KPP 773601001, OGRN 1027700132195")
    assert legal.details_text(Client(name="Foreign", tax_id="DE123456789"), "en") == "tax ID DE123456789"
    assert legal.details_text(Client(name="IP", inn="500100732259", ogrn="304500116000157"), "ru") == (
        "ИНН 500100732259, ОГРНИП 304500116000157")


# --- the client: form, API, admin ---------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field"), [
    ({"inn": "7707083894"}, "inn"),
    ({"inn": "7707083893", "kpp": "77360100"}, "kpp"),
    ({"ogrn": "1027700132196"}, "ogrn"),
    ({"bik": "04452522"}, "bik"),
    ({"bik": "044525225", "settlement_account": "40702810410000000001"}, "settlement_account"),
    ({"bik": "044525225", "correspondent_account": "30101810400000000226"}, "correspondent_account"),
    ({"inn": "500100732259", "kpp": "773601001"}, "kpp"),
])
def test_the_client_form_names_the_bad_field_and_saves_nothing(client, world_a, data, field):
    client.force_login(world_a.account_manager)
    response = client.post(reverse("contracts:client-create"), {"name": "Polar", "is_active": "on", **data})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    with world_a.context():
        assert not Client.objects.filter(name="Polar").exists()


@pytest.mark.django_db
def test_the_client_form_saves_valid_details_and_the_client_page_shows_them(client, world_a):
    client.force_login(world_a.account_manager)
    response = client.post(reverse("contracts:client-create"), {"name": "Sber", "is_active": "on", **SBER})
    assert response.status_code == 302
    with world_a.context():
        saved = Client.objects.get(name="Sber")
    assert (saved.inn, saved.kpp, saved.settlement_account) == ("7707083893", "773601001", "40702810310000000001")
    for language in ("en", "ru"):
        page = client.get(reverse("contracts:client-detail", args=[saved.pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert "7707083893" in page.content.decode() and "30101810400000000225" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field"), [
    ({"inn": "7707083894"}, "inn"),
    ({"inn": "7707083893", "kpp": "7736010011"}, "kpp"),
    ({"ogrn": "1027700132196"}, "ogrn"),
    ({"bik": "04452522X"}, "bik"),
    ({"bik": "044525225", "settlement_account": "40702810410000000001"}, "settlement_account"),
    ({"settlement_account": "40702810310000000001"}, "settlement_account"),
])
def test_the_client_api_answers_400_naming_the_field_and_saves_nothing(world_a, api_as, data, field):
    api = api_as(world_a, world_a.account_manager)
    assert_error(api.post(CLIENTS, {"name": "Polar", **data}, format="json"), 400, field=field)
    with world_a.context():
        assert not Client.objects.filter(name="Polar").exists()
    before = api.get(f"{CLIENTS}{world_a.client.pk}/").json()
    assert_error(api.patch(f"{CLIENTS}{world_a.client.pk}/", data, format="json"), 400, field=field)
    assert api.get(f"{CLIENTS}{world_a.client.pk}/").json() == before


@pytest.mark.django_db
def test_the_client_api_takes_and_shows_the_details(world_a, world_b, api_as):
    api = api_as(world_a, world_a.account_manager)
    created = api.post(CLIENTS, {"name": "Sber", **SBER}, format="json")
    assert created.status_code == 201, created.content
    assert {key: created.json()[key] for key in SBER} == SBER
    # another tenant's key does not see them
    assert api_as(world_b).get(f"{CLIENTS}{created.json()['id']}/").status_code == 404


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_inn_on_its_field(world_a, client):
    world_a.account_manager.is_staff = True
    world_a.account_manager.save()
    client.force_login(world_a.account_manager)
    response = client.post("/admin/contracts/client/add/", {"name": "Polar", "is_active": "on", "inn": "7707083894"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["inn"]
    response = client.post("/admin/contracts/provider/add/", {"name": "Fix", "inn": "7707083893", "kpp": "1"})
    assert response.context["adminform"].form.errors["kpp"]
    with world_a.context():
        assert not Client.objects.filter(name="Polar").exists() and not Provider.objects.filter(name="Fix").exists()


# --- the tenant's page ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_administrator_edits_the_organisations_details(client, world_a, world_b, language):
    client.force_login(world_a.admin)
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200 and f'lang="{language}"' in page.content.decode()
    response = client.post(PAGE, {"legal_name": "ООО «Нордвинд»", **SBER}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=world_a.tenant.pk)
    assert (tenant.legal_name, tenant.inn, tenant.bik) == ("ООО «Нордвинд»", "7707083893", "044525225")
    assert Tenant.objects.get(pk=world_b.tenant.pk).inn == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field"), [
    ({"inn": "7707083894"}, "inn"),
    ({"inn": "500100732259", "kpp": "773601001"}, "kpp"),
    ({"ogrn": "304500116000158"}, "ogrn"),
    ({"bik": "044525225", "correspondent_account": "30101810400000000226"}, "correspondent_account"),
])
def test_the_organisations_page_names_the_bad_field_and_saves_nothing(client, world_a, data, field):
    client.force_login(world_a.admin)
    response = client.post(PAGE, {"legal_name": "X", **data})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    tenant = Tenant.objects.get(pk=world_a.tenant.pk)
    assert (tenant.legal_name, tenant.inn, tenant.kpp) == ("", "", "")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["account_manager", "accountant", "engineer"])
def test_only_administrators_edit_the_organisations_details(client, world_a, role):
    client.force_login(getattr(world_a, role))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"inn": "7707083893"}).status_code == 403
    assert Tenant.objects.get(pk=world_a.tenant.pk).inn == ""


# --- printed on documents -------------------------------------------------------------------------

@pytest.mark.django_db
def test_invoices_print_the_suppliers_and_the_customers_details(world_a):
    from billing.selectors import invoice_detail_list
    from tests.billing.support import billed_contract, build
    from tests.clock import add_months, local_today

    Tenant.objects.filter(pk=world_a.tenant.pk).update(legal_name="ООО «Поставщик»", inn="7736207543",
                                                       kpp="773601001")
    with world_a.context():
        Client.objects.filter(pk=world_a.client.pk).update(**SBER)
    start = add_months(local_today(world_a.tenant), -3)
    contract = billed_contract(world_a, fee="100.00", share="0", start_date=start)
    invoice = build(world_a, contract, period=f"{add_months(local_today(world_a.tenant), -1):%Y-%m}")
    with world_a.context():
        invoices = list(invoice_detail_list().filter(pk=invoice.pk))
        ru = invoices_html(invoices, language="ru")
        en = invoices_html(invoices, language="en")
    assert "ООО «Поставщик», ИНН 7736207543, КПП 773601001" in ru
    assert "ИНН 7707083893, КПП 773601001, ОГРН 1027700132195" in ru
    assert "р/с 40702810310000000001 в ПАО Сбербанк, БИК 044525225, к/с 30101810400000000225" in ru
    assert "INN 7707083893, KPP 773601001" in en and "INN 7736207543" in en


@pytest.mark.django_db
def test_acts_print_both_parties_details(world_a):
    from django.template.loader import render_to_string

    from confirmations.pdf import act_pdf_context
    from tests.billing.support import accepted_act, billed_contract
    from tests.clock import add_months, local_today

    Tenant.objects.filter(pk=world_a.tenant.pk).update(inn="7736207543")
    with world_a.context():
        Client.objects.filter(pk=world_a.client.pk).update(**SBER)
    contract = billed_contract(world_a, fee="100.00", share="0", start_date=add_months(local_today(world_a.tenant), -3))
    act, _confirmation = accepted_act(world_a, contract)
    with world_a.context():
        context = act_pdf_context(act)
        html = render_to_string("confirmations/pdf/act_ru.html", context)
    assert "ИНН 7736207543" in html and "ИНН 7707083893, КПП 773601001" in html
