"""Import of clients, contracts and contract roles from CSV and XLSX: the preview names every bad
row, a confirm imports exactly what was previewed in one transaction, and nothing crosses tenants."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from contracts import imports
from contracts.models import Client, Contract, ContractEvent, ContractRole
from tenancy.middleware import SESSION_KEY
from tests.clock import add_months, local_today
from tests.factories import ContractFactory, MembershipFactory

pytestmark = pytest.mark.django_db

INN, KPP, OGRN = "7707083893", "773601001", "1027700132195"
UPLOAD = reverse("contracts:import")
CONFIRM = reverse("contracts:import-confirm")


def dates(world):
    today = local_today(world.tenant)
    start, end = add_months(today, -1), add_months(today, 11)
    return start, end


def clients_csv(rows, *, sep=";", encoding="utf-8", bom=False, headers=("Название", "ИНН", "КПП", "Email")):
    text = "\r\n".join(sep.join(r) for r in [headers, *rows]) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def contracts_csv(world, rows=None, *, sep=",", headers=("Number", "Title", "Client", "Start date", "End date",
                                                           "Monthly fee")):
    start, end = dates(world)
    rows = rows if rows is not None else [
        ["SC-IMP-1", "IT support", world.client.name, start.isoformat(), end.strftime("%d.%m.%Y"), "120000,50"],
    ]
    return ("\n".join(sep.join(r) for r in [headers, *rows]) + "\n").encode("utf-8")


def workbook(sheets: dict) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, user, data: bytes, name="data.csv", **extra):
    client.force_login(user)
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)}, **extra)


def preview(world, data: bytes, name="data.csv"):
    with world.context(user=world.admin):
        return imports.run_import(tables=imports.read_file(name, data), actor=world.admin, dry_run=True)


def errors_of(result) -> list[tuple[int, str, str]]:
    return [(row.number, e.column, e.message) for row in result.bad_rows for e in row.errors]


def count(world, model) -> int:
    with world.context():
        return model.objects.count()


# --- the happy paths: CSV in both encodings and separators, XLSX with sheets -----------------------

@pytest.mark.parametrize(("encoding", "bom", "sep"), [
    ("utf-8", False, ";"), ("utf-8", True, ","), ("cp1251", False, ";"), ("cp1251", False, ","),
])
def test_a_russian_clients_csv_is_previewed_and_imported(client, world_a, encoding, bom, sep):
    data = clients_csv([["Ромашка", INN, KPP, "office@romashka.ru"], ["Василёк", "", "", ""]],
                       sep=sep, encoding=encoding, bom=bom)
    response = upload(client, world_a.account_manager, data)
    assert response.status_code == 200
    assert "Ромашка" in response.content.decode()
    assert count(world_a, Client) == 1  # a preview saves nothing
    token = response.context["token"]
    done = client.post(CONFIRM, {"token": token, "sha256": response.context["sha256"]})
    assert done.status_code == 200
    with world_a.context():
        romashka = Client.objects.get(name="Ромашка")
        assert (romashka.inn, romashka.kpp, romashka.email) == (INN, KPP, "office@romashka.ru")
        assert Client.objects.filter(name="Василёк").exists()
    assert reverse("contracts:client-detail", args=[romashka.pk]) in done.content.decode()
    # the token is spent: a second confirm imports nothing more
    again = client.post(CONFIRM, {"token": token, "sha256": response.context["sha256"]})
    assert again.status_code == 302
    assert count(world_a, Client) == 3


def test_an_xlsx_with_clients_contracts_and_roles_imports_through_the_services(client, world_a):
    start, end = dates(world_a)
    data = workbook({
        "Клиенты": [["Название", "ИНН"], ["Ромашка", int(INN)]],
        "Договоры": [["Номер договора", "Предмет договора", "Клиент", "Дата начала", "Дата окончания",
                      "Ежемесячная плата"],
                     ["SC-X-1", "Уборка", "Ромашка", start, end.strftime("%d.%m.%Y"), 99000.5]],
        "Роли": [["Номер договора", "Роль", "Пользователь"],
                 ["SC-X-1", "account_manager", world_a.account_manager.username],
                 ["SC-X-1", "Account manager", world_a.admin.email]],
    })
    response = upload(client, world_a.admin, data, name="book.xlsx")
    assert response.status_code == 200, response.content.decode()
    assert errors_of(response.context["result"]) == []
    done = client.post(CONFIRM, {"token": response.context["token"], "sha256": response.context["sha256"]})
    assert done.status_code == 200
    with world_a.context():
        contract = Contract.objects.get(number="SC-X-1")
        assert contract.client.name == "Ромашка" and contract.client.inn == INN
        assert (contract.start_date, contract.end_date, contract.monthly_fee) == (start, end, Decimal("99000.50"))
        assert contract.state == "draft" and contract.created_by == world_a.admin
        assert set(ContractRole.objects.filter(contract=contract).values_list("user__username", flat=True)) == {
            world_a.account_manager.username, world_a.admin.username}
        kinds = list(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True))
        assert kinds.count("created") == 1 and kinds.count("role_assigned") == 2
    assert reverse("contracts:contract-detail", args=[contract.pk]) in done.content.decode()


def test_an_existing_client_is_updated_not_duplicated(world_a):
    data = clients_csv([[world_a.client.name, INN, KPP, "new@example.com"]])
    result = preview(world_a, data)
    assert result.ok and result.rows[0].action == "update"
    with world_a.context(user=world_a.admin):
        imports.run_import(tables=imports.read_file("c.csv", data), actor=world_a.admin, dry_run=False)
        assert Client.objects.get(pk=world_a.client.pk).email == "new@example.com"


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "says"), [
    ("empty.csv", b"", "empty"),
    ("blank.csv", b"\r\n \r\n", "empty"),
    ("headers.csv", "Название;ИНН\r\n".encode(), "no rows"),
    ("image.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
    ("utf16.csv", "Название;ИНН\r\nРомашка;1\r\n".encode("utf-16"), "encoding"),
    ("bad.csv", b"name\r\nabc\x98def\r\n", "neither UTF-8 nor Windows-1251"),
    ("broken.xlsx", b"PK\x03\x04garbage" * 10, "not a valid XLSX"),
    ("fake.xlsx", b"name\nX\n", "not a valid XLSX"),
])
def test_an_unreadable_file_is_refused_with_a_clear_message(client, world_a, name, data, says):
    response = upload(client, world_a.account_manager, data, name=name)
    assert response.status_code == 400
    assert says in " ".join(response.context["form"].errors["file"])


def test_a_too_big_file_and_too_many_rows_are_refused(client, world_a, settings, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    data = clients_csv([[f"Client {i}", "", "", ""] for i in range(4)])
    response = upload(client, world_a.account_manager, data)
    assert response.status_code == 400
    assert "more than 3 rows" in response.context["form"].errors["file"][0]
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    response = upload(client, world_a.account_manager, b"Name\n" + b"x" * 200)
    assert "larger than" in response.context["form"].errors["file"][0]


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (2 * 1024 * 1024))
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1024 * 1024)
    with pytest.raises(imports.ImportFileError, match="unpacks to more than"):
        imports.read_file("bomb.xlsx", buffer.getvalue())


def test_a_huge_xlsx_is_stopped_at_the_row_cap(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 10)
    data = workbook({"Clients": [["Name"], *[[f"C{i}"] for i in range(50)]]})
    with pytest.raises(imports.ImportFileError, match="more than 10 rows"):
        imports.read_file("big.xlsx", data)


def test_missing_required_columns_are_named(world_a):
    result = preview(world_a, b"Number,Client\nSC-1,Foo\n")
    assert not result.ok
    assert "Title" in result.problems[0].message
    result = preview(world_a, "ИНН;КПП\n7707083893;773601001\n".encode())
    assert "Name" in result.problems[0].message


def test_duplicate_numbers_in_the_file_and_in_the_database_are_row_errors(world_a):
    ContractFactory(tenant=world_a.tenant, client=world_a.client, number="SC-OLD")
    start, end = dates(world_a)
    rows = [["SC-1", "A", world_a.client.name, "", "", ""], ["SC-1", "B", world_a.client.name, "", "", ""],
            ["SC-OLD", "C", world_a.client.name, "", "", ""]]
    result = preview(world_a, contracts_csv(world_a, rows))
    assert [(n, c) for n, c, _m in errors_of(result)] == [(3, "Number"), (4, "Number")]
    assert "row 2" in errors_of(result)[0][2] and "already exists" in errors_of(result)[1][2]
    dup = preview(world_a, clients_csv([["Alpha", "", "", ""], ["alpha", "", "", ""]]))
    assert errors_of(dup)[0][:2] == (3, "Name")


def test_an_inn_used_by_another_client_in_the_file_or_the_database_is_a_row_error(world_a):
    with world_a.context():
        Client.objects.filter(pk=world_a.client.pk).update(inn=INN)
    result = preview(world_a, clients_csv([["Newco", INN, "", ""], [world_a.client.name, INN, "", ""]]))
    assert errors_of(result) == [(2, "INN", f"The INN {INN} already belongs to the client “{world_a.client.name}”.")]
    twice = preview(world_a, clients_csv([["One", "500100732259", "", ""], ["Two", "500100732259", "", ""]]))
    assert [(n, c) for n, c, _m in errors_of(twice)] == [(3, "INN")]


def test_a_contract_naming_an_unknown_client_is_a_row_error_but_a_client_in_the_same_file_is_fine(world_a):
    data = workbook({
        "Clients": [["Name"], ["Newco"]],
        "Contracts": [["Number", "Title", "Client"], ["SC-1", "A", "Newco"], ["SC-2", "B", "Nobody"]],
    })
    result = preview(world_a, data, name="b.xlsx")
    assert errors_of(result) == [(3, "Client", "Unknown client “Nobody”: it is neither among your clients nor in "
                                               "this file.")]
    assert count(world_a, Client) == 1


def test_dates_money_currency_and_roles_in_a_wrong_format_are_row_errors(world_a):
    rows = [["SC-1", "A", world_a.client.name, "03/31/2026", "", "1.000,50"]]
    result = preview(world_a, contracts_csv(world_a, rows))
    columns = {c: m for _n, c, m in errors_of(result)}
    assert "YYYY-MM-DD or DD.MM.YYYY" in columns["Start date"]
    assert "Monthly fee" in columns
    bad_day = preview(world_a, contracts_csv(world_a, [["SC-1", "A", world_a.client.name, "31.02.2026", "", "1"]]))
    assert errors_of(bad_day)[0][1] == "Start date"
    ContractFactory(tenant=world_a.tenant, client=world_a.client, number="SC-R")
    roles = preview(world_a, f"Contract,Role,User\nSC-R,boss,{world_a.admin.username}\nSC-R,resolver,ghost\n"
                    f"SC-R,client_signatory,{world_a.engineer.username}\n".encode())
    assert [(n, c) for n, c, _m in errors_of(roles)] == [(2, "Role"), (3, "User"), (4, "User")]


def test_wrong_legal_details_are_row_errors_naming_the_column(world_a):
    data = clients_csv([["Good", INN, KPP, ""], ["Bad INN", "7707083890", "", ""],
                        ["Bad KPP", "7736050003", "77-36", ""]])
    result = preview(world_a, data)
    assert [(n, c) for n, c, _m in errors_of(result)] == [(3, "INN"), (4, "KPP")]
    assert "check digit" in errors_of(result)[0][2]


def test_a_file_with_a_bad_row_shows_no_import_button_and_imports_nothing(client, world_a):
    data = clients_csv([["Good", INN, KPP, ""], ["Bad", "123", "", ""]])
    response = upload(client, world_a.admin, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert CONFIRM not in page and "Bad" in page and "INN" in page
    # even a forged confirm of that preview saves nothing: the whole file or none of it
    forged = client.post(CONFIRM, {"token": response.context["token"], "sha256": response.context["sha256"]})
    assert forged.status_code == 409
    assert count(world_a, Client) == 1


def test_a_confirm_that_meets_changed_data_saves_nothing(client, world_a):
    data = clients_csv([["Alpha", "", "", ""]])
    rows = contracts_csv(world_a, [["SC-9", "A", world_a.client.name, "", "", ""]])
    first = upload(client, world_a.admin, data)
    second = upload(client, world_a.admin, rows)
    ContractFactory(tenant=world_a.tenant, client=world_a.client, number="SC-9")  # someone else was faster
    response = client.post(CONFIRM, {"token": second.context["token"], "sha256": second.context["sha256"]})
    assert response.status_code == 409
    assert count(world_a, Contract) == 1
    assert client.post(CONFIRM, {"token": first.context["token"],
                                 "sha256": first.context["sha256"]}).status_code == 200


# --- tenants and roles ----------------------------------------------------------------------------

def test_the_import_lands_in_the_current_tenant_only(client, world_a, world_b):
    response = upload(client, world_a.admin, clients_csv([["Only A", "", "", ""]]))
    client.post(CONFIRM, {"token": response.context["token"], "sha256": response.context["sha256"]})
    with world_a.context():
        assert Client.objects.filter(name="Only A").exists()
    with world_b.context():
        assert not Client.objects.filter(name="Only A").exists()


def test_a_token_from_tenant_a_cannot_be_confirmed_in_tenant_b(client, world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.admin, role="admin")
    response = upload(client, world_a.admin, clients_csv([["Travelling", "", "", ""]]))
    assert response.wsgi_request.tenant == world_a.tenant
    session = client.session
    session[SESSION_KEY] = world_b.tenant.pk
    session.save()
    refused = client.post(CONFIRM, {"token": response.context["token"], "sha256": response.context["sha256"]})
    assert refused.status_code == 302
    assert count(world_a, Client) == 1 and count(world_b, Client) == 1


def test_a_client_name_of_another_tenant_is_an_unknown_client(world_a, world_b):
    result = preview(world_a, contracts_csv(world_a, [["SC-1", "A", world_b.client.name, "", "", ""]]))
    assert errors_of(result)[0][1] == "Client"


def test_a_wrong_hash_or_someone_elses_token_is_refused(client, world_a):
    response = upload(client, world_a.admin, clients_csv([["X", "", "", ""]]))
    assert client.post(CONFIRM, {"token": response.context["token"], "sha256": "0" * 64}).status_code == 302
    client.force_login(world_a.account_manager)
    assert client.post(CONFIRM, {"token": response.context["token"],
                                 "sha256": response.context["sha256"]}).status_code == 302
    assert count(world_a, Client) == 1


@pytest.mark.parametrize("role", ["engineer", "accountant"])
def test_a_role_that_may_not_create_contracts_gets_403(client, world_a, role):
    client.force_login(getattr(world_a, role))
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {"file": SimpleUploadedFile("a.csv", b"Name\nX\n")}).status_code == 403
    assert client.post(CONFIRM, {"token": "x", "sha256": "y"}).status_code == 403
    assert client.get(reverse("contracts:import-template-xlsx")).status_code == 403


def test_a_client_user_is_sent_to_the_portal(client, world_a):
    client.force_login(world_a.client_viewer)
    assert client.get(UPLOAD).status_code == 302


# --- pages, templates, links ----------------------------------------------------------------------

@pytest.mark.parametrize(("language", "texts"), [
    ("en", ["Import clients and contracts", "DD.MM.YYYY", "Start date", "Monthly fee"]),
    ("ru", ["Импорт клиентов и договоров", "ДД.ММ.ГГГГ", "Дата начала", "Ежемесячная плата"]),
])
def test_the_pages_render_in_english_and_russian(client, world_a, language, texts):
    client.force_login(world_a.account_manager)
    page = client.get(UPLOAD, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert all(text in page.content.decode() for text in texts)
    preview_page = client.post(UPLOAD, {"file": SimpleUploadedFile("a.csv", clients_csv([["Bad", "1", "", ""]]))},
                               HTTP_ACCEPT_LANGUAGE=language)
    assert preview_page.status_code == 200 and f'<html lang="{language}">' in preview_page.content.decode()
    good = client.post(UPLOAD, {"file": SimpleUploadedFile("a.csv", clients_csv([["Good", "", "", ""]]))},
                       HTTP_ACCEPT_LANGUAGE=language)
    done = client.post(CONFIRM, {"token": good.context["token"], "sha256": good.context["sha256"]},
                       HTTP_ACCEPT_LANGUAGE=language)
    assert done.status_code == 200 and f'<html lang="{language}">' in done.content.decode()


def test_the_templates_download_and_import_as_they_are_filled(client, world_a):
    client.force_login(world_a.admin)
    csv_template = client.get(reverse("contracts:import-template-csv", args=["contracts"]))
    assert csv_template.status_code == 200 and csv_template.content.startswith(b"\xef\xbb\xbf")
    assert client.get(reverse("contracts:import-template-csv", args=["nope"])).status_code == 404
    xlsx = client.get(reverse("contracts:import-template-xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert len(book.worksheets) == 3
    sheet = book.worksheets[0]
    sheet.append(["Filled in"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = preview(world_a, buffer.getvalue(), name="t.xlsx")
    assert result.ok and result.rows[0].values["name"] == "Filled in"
    filled = csv_template.content + f"SC-T;Title;{world_a.client.name}\r\n".encode()
    assert preview(world_a, filled).ok


@pytest.mark.parametrize("url_name", ["contracts:client-list", "contracts:contract-list"])
def test_the_lists_link_to_the_import(client, world_a, url_name):
    client.force_login(world_a.account_manager)
    assert UPLOAD in client.get(reverse(url_name)).content.decode()
    client.force_login(world_a.engineer)
    assert UPLOAD not in client.get(reverse(url_name)).content.decode()


# --- the management command -----------------------------------------------------------------------

def test_the_command_previews_imports_and_exits_non_zero_on_errors(world_a, tmp_path, capsys):
    good = tmp_path / "clients.csv"
    good.write_bytes(clients_csv([["Cmd client", INN, KPP, ""]], encoding="cp1251"))
    call_command("import_data", str(good), tenant=world_a.tenant.slug, dry_run=True)
    assert "New client “Cmd client”" in capsys.readouterr().out
    assert count(world_a, Client) == 1
    call_command("import_data", str(good), tenant=world_a.tenant.slug, user=world_a.admin.username)
    assert count(world_a, Client) == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(clients_csv([["Bad one", "123", "", ""]]))
    with pytest.raises(CommandError) as failure:
        call_command("import_data", str(bad), tenant=world_a.tenant.slug, dry_run=True)
    assert failure.value.returncode == 1
    assert "row 2: INN" in capsys.readouterr().out
    with pytest.raises(CommandError) as refused:
        call_command("import_data", str(good), tenant=world_a.tenant.slug, user=world_a.engineer.username)
    assert refused.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("import_data", str(good), tenant="no-such-tenant")


def test_a_file_missing_a_required_column_is_named_on_the_preview_page(client, world_a):
    response = upload(client, world_a.admin, b"Number;Client\nSC-1;Foo\n")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Required columns are missing: Title." in page and CONFIRM not in page
    assert count(world_a, Contract) == 0
