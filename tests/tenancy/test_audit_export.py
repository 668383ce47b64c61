"""The audit trail's export (CSV and JSON Lines, streamed) and the chain's check, in the API and on
the audit page: the period in the tenant's days, the contract filter, roles and the tenant wall."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import ContractEvent
from tenancy.chain import chain_link
from tests.clock import local_today
from tests.contracts.api_support import assert_error
from tests.orders.api_support import session_as
from tests.tenancy.audit_support import contract_with_trail, link, linked_rows, local_moment, raw_on

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/audit/events/"
VERIFY = "/api/v1/audit/verify/"


def period(world, *, days_back: int = 0, **extra) -> dict:
    today = local_today(world.tenant)
    return {"from": (today - dt.timedelta(days=days_back)).isoformat(), "to": today.isoformat(), **extra}


def body_of(response) -> str:
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response.streaming  # never a whole file in memory
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    text = body_of(response)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def jsonl_rows(response) -> list[dict]:
    return [json.loads(line) for line in body_of(response).splitlines()]


@pytest.fixture
def trail(world_a):
    contract, order, act, invoice = contract_with_trail(world_a)
    link(world_a)
    return contract, order, act, invoice


# --- what the export holds --------------------------------------------------------------------------


def test_the_csv_holds_every_event_of_the_period_in_chain_order(world_a, trail, api_as):
    contract, order, _act, _invoice = trail
    with world_a.context():
        ContractEvent.record(contract, kind="updated", actor=world_a.admin, note="not linked yet")
    response = api_as(world_a).get(EVENTS, period(world_a, format="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert list(rows[0]) == ["seq", "hash", "table", "subject_id", "contract", "kind", "transition", "from", "to",
                             "actor_id", "actor", "at_utc", "at_local", "note", "data"]
    chained = linked_rows(world_a)
    assert [(row["seq"], row["hash"], row["table"]) for row in rows[:-1]] == [
        (str(seq), digest, table) for seq, table, _pk, digest in chained if seq is not None]
    assert (rows[-1]["seq"], rows[-1]["hash"], rows[-1]["note"]) == ("", "", "not linked yet")  # unlinked: last
    assert {row["contract"] for row in rows} == {contract.number}
    order_row = next(row for row in rows if row["table"] == "orders.orderevent")
    assert order_row["subject_id"] == str(order.pk)
    assert order_row["at_utc"].endswith("+00:00") and order_row["at_local"].endswith("+03:00")
    invoice_row = next(row for row in rows if row["table"] == "billing.invoiceevent")
    assert json.loads(invoice_row["data"]) == {"lines": 2, "b": {"z": 1, "a": [1]}}
    assert invoice_row["actor"] == (world_a.accountant.get_full_name() or world_a.accountant.get_username())


def test_the_json_lines_hold_the_same_events_as_objects(world_a, trail, api_as):
    response = api_as(world_a).get(EVENTS, period(world_a, format="jsonl"))
    assert response["Content-Type"].startswith("application/x-ndjson")
    rows = jsonl_rows(response)
    assert [row["seq"] for row in rows] == list(range(1, len(linked_rows(world_a)) + 1))
    act_row = next(row for row in rows if row["table"] == "confirmations.actevent")
    assert (act_row["kind"], act_row["note"], act_row["actor_id"]) == ("created", "act drafted", world_a.admin.pk)
    invoice_row = next(row for row in rows if row["table"] == "billing.invoiceevent")
    assert invoice_row["data"] == {"lines": 2, "b": {"z": 1, "a": [1]}}
    transition = next(row for row in rows if row["transition"] == "activate")
    assert (transition["from"], transition["to"]) == ("negotiation", "active")


def test_the_period_is_in_the_tenants_days(world_a, trail, api_as):
    contract, *_ = trail
    last_day = local_today(world_a.tenant) - dt.timedelta(days=10)
    with world_a.context():
        for note, moment in (
            ("the evening before", local_moment(world_a.tenant, last_day - dt.timedelta(days=1), 23, 30)),
            ("first minute", local_moment(world_a.tenant, last_day, 0, 0)),
            ("23:30 on the last day", local_moment(world_a.tenant, last_day, 23, 30)),  # 20:30 UTC
            ("the next morning", local_moment(world_a.tenant, last_day + dt.timedelta(days=1), 0, 30)),  # UTC: last day
        ):
            ContractEvent.record(contract, kind="updated", actor=world_a.admin, note=note, at=moment)
    chain_link(world_a.tenant.pk)
    query = {"from": last_day.isoformat(), "to": last_day.isoformat(), "format": "jsonl"}
    rows = jsonl_rows(api_as(world_a).get(EVENTS, query))
    assert [row["note"] for row in rows] == ["first minute", "23:30 on the last day"]
    assert rows[1]["at_local"].startswith(f"{last_day.isoformat()}T23:30")


def test_a_contracts_export_holds_its_orders_acts_and_invoices_but_not_another_contracts(world_a, trail, api_as):
    contract, order, act, invoice = trail
    other, other_order, *_ = contract_with_trail(world_a)
    link(world_a)
    rows = jsonl_rows(api_as(world_a).get(EVENTS, period(world_a, contract=contract.pk, format="jsonl")))
    subjects = {(row["table"], row["subject_id"]) for row in rows}
    assert {("contracts.contractevent", contract.pk), ("orders.orderevent", order.pk),
            ("confirmations.actevent", act.pk), ("billing.invoiceevent", invoice.pk)} <= subjects
    assert ("contracts.contractevent", other.pk) not in subjects
    assert ("orders.orderevent", other_order.pk) not in subjects
    assert {row["contract"] for row in rows} == {contract.number}
    everything = jsonl_rows(api_as(world_a).get(EVENTS, period(world_a, format="jsonl")))
    assert len(everything) > len(rows)


def test_a_cell_that_looks_like_a_formula_stays_text(world_a, trail, api_as):
    contract, *_ = trail
    with world_a.context():
        ContractEvent.record(contract, kind="updated", actor=world_a.admin, note='=HYPERLINK("http://evil","x")')
    rows = csv_rows(api_as(world_a).get(EVENTS, period(world_a)))  # csv unless asked otherwise
    assert rows[-1]["note"] == "'=HYPERLINK(\"http://evil\",\"x\")"


def test_a_large_export_streams_page_by_page(world_a, trail, api_as, monkeypatch):
    from tenancy import chain

    monkeypatch.setattr(chain, "PAGE", 2)
    monkeypatch.setattr(chain.keyset_pages, "__kwdefaults__", {"page": 2})
    rows = jsonl_rows(api_as(world_a).get(EVENTS, period(world_a, format="jsonl")))
    assert [row["seq"] for row in rows] == list(range(1, len(linked_rows(world_a)) + 1))


# --- verification in the API ------------------------------------------------------------------------


def test_verify_reports_ok_and_then_the_first_broken_link(world_a, trail, api_as):
    api = api_as(world_a, user=world_a.accountant)
    count = len(linked_rows(world_a))
    assert api.get(VERIFY).json() == {"tenant_id": world_a.tenant.pk, "ok": True, "checked": count, "unlinked": 0,
                                      "head_seq": count, "broken": None}
    seq, table, pk, _hash = linked_rows(world_a)[1]
    raw_on(world_a, table, "UPDATE {table} SET note = 'quietly changed' WHERE id = %s", [pk])
    body = api.get(VERIFY).json()
    assert body["ok"] is False
    assert {k: body["broken"][k] for k in ("seq", "reason", "table", "row_id")} == {
        "seq": seq, "reason": "edited", "table": table, "row_id": pk}
    assert body["broken"]["message"]


# --- who, and the tenant wall -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "accountant"])
def test_administrators_and_accountants_export_and_verify(world_a, trail, api_as, role):
    api = api_as(world_a, user=getattr(world_a, role))
    assert api.get(EVENTS, period(world_a)).status_code == 200
    assert api.get(VERIFY).status_code == 200


@pytest.mark.parametrize("role", ["account_manager", "engineer"])
def test_other_provider_roles_are_refused(world_a, trail, api_as, role):
    api = api_as(world_a, user=getattr(world_a, role))
    assert_error(api.get(EVENTS, period(world_a)), 403)
    assert_error(api.get(VERIFY), 403)


@pytest.mark.parametrize("role", ["client_admin", "client_signatory", "client_viewer"])
def test_client_users_are_refused(world_a, trail, role):
    api = session_as(getattr(world_a, role))
    assert_error(api.get(EVENTS, period(world_a)), 403)
    assert_error(api.get(VERIFY), 403)


def test_tenant_b_never_sees_tenant_as_events(world_a, world_b, trail, api_as):
    contract_a, *_ = trail
    contract_b, *_ = contract_with_trail(world_b, number="B-ONLY")
    link(world_b)
    api_b = api_as(world_b)
    rows = jsonl_rows(api_b.get(EVENTS, period(world_b, format="jsonl")))
    assert rows and {row["contract"] for row in rows} == {"B-ONLY"}
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    # A's contract named in B's request: the same answer as a contract that does not exist
    assert_error(api_b.get(EVENTS, period(world_b, contract=contract_a.pk)), 400, field="contract")
    assert_error(api_b.get(EVENTS, period(world_b, contract=10**12)), 400, field="contract")
    body = api_b.get(VERIFY).json()
    assert (body["tenant_id"], body["checked"]) == (world_b.tenant.pk, len(rows))


def days(world, **offsets) -> dict:
    """Query parameters whose values are dates `offsets` days from the tenant's today (ints), or text."""
    today = local_today(world.tenant)
    return {key: (today + dt.timedelta(days=value)).isoformat() if isinstance(value, int) else value
            for key, value in offsets.items()}


@pytest.mark.parametrize(("query", "field"), [
    ({"to": 0}, "from"),
    ({"from": "yesterday", "to": 0}, "from"),
    ({"from": "1900-01-01", "to": "1900-01-02"}, "from"),
    ({"from": 0, "to": "31.12.2099"}, "to"),
    ({"from": 0, "to": -1}, "to"),
    ({"from": -800, "to": 0}, "to"),
    ({"from": 0, "to": 0, "format": "xml"}, "format"),
    ({"from": 0, "to": 0, "contract": "abc"}, "contract"),
    ({"from": 0, "to": 0, "contract": "99999999999999999999999"}, "contract"),
    ({"from": 0, "to": 0, "contract": "0"}, "contract"),
])
def test_bad_parameters_are_a_400_naming_the_parameter(world_a, api_as, query, field):
    assert_error(api_as(world_a).get(EVENTS, days(world_a, **query)), 400, field=field)


def test_the_openapi_document_describes_both_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    events = paths[EVENTS]["get"]
    assert {p["name"] for p in events["parameters"]} >= {"from", "to", "contract", "format"}
    assert set(events["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson"}
    assert "400" in events["responses"]
    report = paths[VERIFY]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert report == {"$ref": "#/components/schemas/ChainReport"}  # one object, not a list
    assert {"ok", "checked", "unlinked", "head_seq", "broken"} <= set(schema["components"]["schemas"]["ChainReport"]["properties"])


# --- the page -----------------------------------------------------------------------------------------


def page_client(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("role", ["admin", "accountant"])
def test_the_audit_page_renders_for_administrators_and_accountants(world_a, trail, role, language):
    client = page_client(getattr(world_a, role), language)
    page = client.get(reverse("audit:audit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'lang="{language}"' in html
    assert trail[0].number in html  # the contract to choose
    assert reverse("audit:audit") in client.get(reverse("home"), follow=True).content.decode()  # the menu link
    verified = client.get(reverse("audit:audit"), {"verify": "1"}).content.decode()
    assert 'data-verdict="ok"' in verified


def test_the_page_shows_the_first_broken_link(world_a, trail):
    seq, table, pk, _hash = linked_rows(world_a)[2]
    raw_on(world_a, table, "DELETE FROM {table} WHERE id = %s", [pk])
    html = page_client(world_a.admin).get(reverse("audit:audit"), {"verify": "1"}).content.decode()
    assert 'data-verdict="broken"' in html
    assert f"Link {seq} was deleted" in html


def test_the_page_downloads_the_export(world_a, trail):
    contract, *_ = trail
    response = page_client(world_a.accountant).get(reverse("audit:audit-export"),
                                                   period(world_a, contract=contract.pk, format="csv"))
    rows = csv_rows(response)
    assert len(rows) == len(linked_rows(world_a))


def test_bad_input_on_the_page_is_a_form_error(world_a, trail):
    client = page_client(world_a.admin)
    response = client.get(reverse("audit:audit-export"), days(world_a, **{"from": 0, "to": -1, "format": "csv"}))
    assert response.status_code == 400
    assert response.context["form"].errors["to"] == ["The range ends before it starts."]
    response = client.get(reverse("audit:audit-export"), {"from": "x", "to": "", "format": "pdf", "contract": "7"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"from", "to", "format", "contract"}


@pytest.mark.parametrize("role", ["account_manager", "engineer"])
def test_other_provider_roles_cannot_open_the_page(world_a, role):
    client = page_client(getattr(world_a, role))
    assert client.get(reverse("audit:audit")).status_code == 403
    assert client.get(reverse("audit:audit-export"), period(world_a)).status_code == 403
    assert reverse("audit:audit") not in client.get(reverse("home"), follow=True).content.decode()


def test_client_users_are_sent_to_the_portal(world_a):
    client = page_client(world_a.client_admin)
    assert client.get(reverse("audit:audit"))["Location"] == reverse("portal")
    assert client.get(reverse("audit:audit-export"), period(world_a))["Location"] == reverse("portal")


def test_the_page_offers_and_exports_only_the_current_tenants_contracts(world_a, world_b, trail):
    contract_a, *_ = trail
    contract_with_trail(world_b, number="B-ONLY")
    link(world_b)
    client = page_client(world_b.admin)
    html = client.get(reverse("audit:audit")).content.decode()
    assert "B-ONLY" in html and contract_a.number not in html
    response = client.get(reverse("audit:audit-export"), period(world_b, contract=contract_a.pk))
    assert response.status_code == 400 and "contract" in response.context["form"].errors
    rows = csv_rows(client.get(reverse("audit:audit-export"), period(world_b)))
    assert {row["contract"] for row in rows} == {"B-ONLY"}


# --- the way from each event table to its contract ------------------------------------------------------


# the trails about people, which belong to no contract (a contract's export leaves them out)
NO_CONTRACT = {"tenancy.membershipevent", "tenancy.invitationevent"}


def test_every_event_table_names_a_way_to_its_contract_that_resolves(world_a):
    from tenancy.events import event_models

    with world_a.context():
        for model in event_models():
            if model._meta.label_lower in NO_CONTRACT:
                assert not model.CONTRACT_PATH, model
                continue
            assert model.CONTRACT_PATH, model
            model.objects.filter(**{f"{model.CONTRACT_PATH}_id": 1}).values(f"{model.CONTRACT_PATH}__number").count()


def test_a_table_without_a_way_to_its_contract_is_left_out_of_a_contracts_export(world_a, trail, api_as,
                                                                                   monkeypatch):
    from confirmations.models import ActEvent

    contract, *_ = trail
    monkeypatch.setattr(ActEvent, "CONTRACT_PATH", "")
    rows = jsonl_rows(api_as(world_a).get(EVENTS, period(world_a, contract=contract.pk, format="jsonl")))
    assert rows and "confirmations.actevent" not in {row["table"] for row in rows}
    everything = jsonl_rows(api_as(world_a).get(EVENTS, period(world_a, format="jsonl")))
    act_rows = [row for row in everything if row["table"] == "confirmations.actevent"]
    assert act_rows and act_rows[0]["contract"] == ""


@pytest.mark.parametrize(("language", "header"), [("ru", "№;Хеш;Таблица"), ("en", "seq,hash,table")])
def test_the_page_csv_follows_the_readers_spreadsheet_and_the_api_stays_plain(world_a, trail, api_as, language, header):
    response = page_client(world_a.admin, language).get(reverse("audit:audit-export"), period(world_a, format="csv"))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff" + header)
    api = api_as(world_a).get(EVENTS, period(world_a, format="csv"), HTTP_ACCEPT_LANGUAGE=language)
    assert b"".join(api.streaming_content).decode("utf-8").startswith("\ufeffseq,hash,table")
