"""Obligations: the rule arithmetic, generated occurrences, overdue marking with reminders and alerts
sent once, templates applied to many contracts once, bad input refused naming the field, and the
tenant wall on every endpoint and page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts import obligations as service
from contracts.models import (
    ContractEvent,
    Obligation,
    ObligationOccurrence,
    ObligationRule,
    ObligationTemplate,
    OccurrenceState,
)
from contracts.obligations import BusinessDays, Schedule, add_months
from contracts.tasks import generate_obligation_occurrences, obligation_alerts
from tenancy.errors import ActionForbidden, DomainError
from tenancy.models import Notification
from tests.clock import local_today
from tests.conftest import postgres_only

from .api_support import active_contract, assert_error, draft_contract, ready_contract

pytestmark = pytest.mark.django_db


# --- rule arithmetic --------------------------------------------------------------------------

def test_day_31_falls_on_the_last_day_of_every_shorter_month():
    dates = Schedule(rule=ObligationRule.MONTHLY, day=31).due_dates(dt.date(2027, 1, 1), dt.date(2028, 12, 31))
    assert len(dates) == 24  # one a month, none vanishes
    assert dt.date(2027, 2, 28) in dates and dt.date(2028, 2, 29) in dates  # common and leap February
    assert dt.date(2027, 4, 30) in dates and dt.date(2027, 6, 30) in dates and dt.date(2027, 9, 30) in dates
    assert dt.date(2027, 1, 31) in dates and dt.date(2027, 12, 31) in dates


@pytest.mark.parametrize("day, february", [(29, 28), (30, 28), (31, 28)])
def test_days_29_to_31_fall_on_the_28th_of_a_common_february(day, february):
    assert Schedule(rule=ObligationRule.MONTHLY, day=day).due_dates(
        dt.date(2027, 2, 1), dt.date(2027, 2, 28)) == [dt.date(2027, 2, february)]
    assert Schedule(rule=ObligationRule.MONTHLY, day=day).due_dates(
        dt.date(2028, 2, 1), dt.date(2028, 2, 29)) == [dt.date(2028, 2, 29)]


def test_quarterly_falls_in_the_month_after_each_quarter():
    dates = Schedule(rule=ObligationRule.QUARTERLY, day=31).due_dates(dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert dates == [dt.date(2027, 1, 31), dt.date(2027, 4, 30), dt.date(2027, 7, 31), dt.date(2027, 10, 31)]


def test_yearly_on_31_march_and_29_february_in_common_years():
    assert Schedule(rule=ObligationRule.YEARLY, day=31, month=3).due_dates(
        dt.date(2027, 1, 1), dt.date(2029, 12, 31)) == [dt.date(2027, 3, 31), dt.date(2028, 3, 31), dt.date(2029, 3, 31)]
    assert Schedule(rule=ObligationRule.YEARLY, day=29, month=2).due_dates(
        dt.date(2027, 1, 1), dt.date(2028, 12, 31)) == [dt.date(2027, 2, 28), dt.date(2028, 2, 29)]


def test_business_days_after_month_end_skip_weekends_and_holidays():
    rule = Schedule(rule=ObligationRule.BUSINESS_DAYS, business_days=3)
    # March 2027 starts on a Monday: 1, 2, 3 → the 3rd business day is Wednesday the 3rd
    assert rule.due_dates(dt.date(2027, 3, 1), dt.date(2027, 3, 31)) == [dt.date(2027, 3, 3)]
    # May 2027 starts on a Saturday: Mon 3, Tue 4, Wed 5
    assert rule.due_dates(dt.date(2027, 5, 1), dt.date(2027, 5, 31)) == [dt.date(2027, 5, 5)]
    # a holiday on Tuesday 4 May moves it to Thursday 6 May
    with_holiday = BusinessDays(holidays=frozenset({dt.date(2027, 5, 4)}))
    assert rule.due_dates(dt.date(2027, 5, 1), dt.date(2027, 5, 31), business=with_holiday) == [dt.date(2027, 5, 6)]


def test_business_days_use_the_contracts_calendar_with_its_days_off(world_a):
    from sla.models import BusinessCalendar, SLAPolicy

    contract = active_contract(world_a)
    with world_a.context():
        assert service.contract_business_days(contract) == service.MONDAY_TO_FRIDAY
        calendar = BusinessCalendar.objects.create(
            name="Office", time_zone="Europe/Moscow", working_hours={str(d): [["09:00", "18:00"]] for d in range(5)},
            extra_days_off=["2027-05-04"])
        SLAPolicy.objects.create(contract=contract, priority="normal", calendar=calendar)
        business = service.contract_business_days(contract, around=dt.date(2027, 5, 1))
    assert not business(dt.date(2027, 5, 4)) and business(dt.date(2027, 5, 5)) and not business(dt.date(2027, 5, 8))
    assert Schedule(rule=ObligationRule.BUSINESS_DAYS, business_days=3).due_dates(
        dt.date(2027, 5, 1), dt.date(2027, 5, 31), business=business) == [dt.date(2027, 5, 6)]


def test_add_months_keeps_the_month_end():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 12, 15), 2) == dt.date(2028, 2, 15)
    assert add_months(dt.date(2027, 3, 31), -1) == dt.date(2027, 2, 28)


# --- helpers ----------------------------------------------------------------------------------

def add_obligation(world, contract, **fields) -> Obligation:
    fields.setdefault("title", "Monthly report")
    fields.setdefault("owner", world.engineer)
    fields.setdefault("rule", ObligationRule.MONTHLY)
    fields.setdefault("day", 5)
    with world.context(user=world.account_manager):
        return service.obligation_create(contract=contract, actor=world.account_manager, **fields)


def occurrences(world, obligation) -> list[tuple[dt.date, str]]:
    with world.context():
        return list(ObligationOccurrence.objects.filter(obligation=obligation)
                    .order_by("due_date").values_list("due_date", "state"))


# --- generation -------------------------------------------------------------------------------

def test_occurrences_are_generated_three_months_ahead_and_generating_again_changes_nothing(world_a):
    contract = active_contract(world_a)
    today = local_today(world_a.tenant)
    obligation = add_obligation(world_a, contract, day=31)
    first = occurrences(world_a, obligation)
    assert 3 <= len(first) <= 4
    assert all(today <= due <= add_months(today, 3) for due, _state in first)
    assert all(due == service.clamped_date(due.year, due.month, 31) for due, _state in first)

    assert generate_obligation_occurrences() == 0
    assert generate_obligation_occurrences(world_a.tenant.pk) == 0
    assert occurrences(world_a, obligation) == first


def test_a_draft_contract_gets_occurrences_only_once_active(world_a):
    contract = ready_contract(world_a)
    obligation = add_obligation(world_a, contract)
    assert occurrences(world_a, obligation) == []
    from .api_support import move

    move(world_a, contract, "submit", "activate")
    assert generate_obligation_occurrences() >= 3
    assert len(occurrences(world_a, obligation)) >= 3


def test_the_final_period_is_still_due_after_the_contract_ends(world_a):
    today = local_today(world_a.tenant)
    end = add_months(today, 1)
    contract = active_contract(world_a, end_date=end)
    obligation = add_obligation(world_a, contract, rule=ObligationRule.MONTHLY, day=5)
    dates = [due for due, _state in occurrences(world_a, obligation)]
    assert dates and max(dates) <= add_months(end, 1)
    assert any(due > end for due in dates)  # the last month's report falls due after the end


def test_stopping_an_obligation_removes_its_future_pending_occurrences(world_a):
    contract = active_contract(world_a)
    obligation = add_obligation(world_a, contract)
    with world_a.context():
        service.obligation_update(obligation=obligation, actor=world_a.account_manager, is_active=False)
    assert occurrences(world_a, obligation) == []
    assert generate_obligation_occurrences() == 0


# --- overdue, reminders and alerts ------------------------------------------------------------

def test_overdue_is_marked_and_reminder_and_alert_go_out_once(world_a):
    contract = active_contract(world_a)
    from tests.factories import ContractRoleFactory  # noqa: F401  (account manager is already assigned)

    today = local_today(world_a.tenant)
    due = today + dt.timedelta(days=2)
    obligation = add_obligation(world_a, contract, day=due.day, starts_on=due, reminder_days=3)
    with world_a.context():
        occurrence = ObligationOccurrence.objects.get(obligation=obligation, due_date=due)

        assert service.obligation_alerts_send(today=today - dt.timedelta(days=2)) == {"overdue": 0, "reminded": 0, "alerted": 0}
        assert service.obligation_alerts_send(today=today) == {"overdue": 0, "reminded": 1, "alerted": 0}
        assert service.obligation_alerts_send(today=today) == {"overdue": 0, "reminded": 0, "alerted": 0}

        after = due + dt.timedelta(days=1)
        assert service.obligation_alerts_send(today=after) == {"overdue": 1, "reminded": 0, "alerted": 1}
        assert service.obligation_alerts_send(today=after) == {"overdue": 0, "reminded": 0, "alerted": 0}

        assert ObligationOccurrence.objects.get(pk=occurrence.pk).state == OccurrenceState.OVERDUE
        kinds = sorted(Notification.objects.filter(user=world_a.engineer).values_list("kind", flat=True))
        assert kinds == ["obligation_overdue", "obligation_reminder"]
        assert Notification.objects.filter(user=world_a.account_manager, kind="obligation_overdue").count() == 1
        assert ContractEvent.objects.filter(contract=contract, kind=ContractEvent.Kind.OBLIGATION_OVERDUE).count() == 1
        assert list(service.overdue_occurrences(contract_id=contract.pk)) == [occurrence]

        done = service.obligation_occurrence_complete(occurrence=occurrence, actor=world_a.engineer,
                                                      note="Sent to the client on paper.")
        assert done.state == OccurrenceState.DONE_LATE and done.done_by == world_a.engineer
        event = ContractEvent.objects.filter(contract=contract, kind=ContractEvent.Kind.OBLIGATION_DONE).get()
        assert event.data["from_state"] == "overdue" and event.data["to_state"] == "done_late"
        assert event.actor == world_a.engineer
        with pytest.raises(DomainError):
            service.obligation_occurrence_complete(occurrence=occurrence, actor=world_a.engineer, note="again")


def test_the_alerts_task_walks_every_tenant(world_a, world_b):
    for world in (world_a, world_b):
        start = local_today(world.tenant) - dt.timedelta(days=40)
        contract = active_contract(world, start_date=start)
        add_obligation(world, contract, starts_on=start)
    totals = obligation_alerts()
    assert totals["overdue"] >= 2 and totals["alerted"] == totals["overdue"]
    assert obligation_alerts() == {"overdue": 0, "reminded": 0, "alerted": 0}


def test_a_pending_occurrence_done_on_time_is_done_with_its_evidence_file(world_a):
    contract = active_contract(world_a)
    obligation = add_obligation(world_a, contract)
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    with world_a.context():
        occurrence = ObligationOccurrence.objects.filter(obligation=obligation).first()
        done = service.obligation_occurrence_complete(occurrence=occurrence, actor=world_a.account_manager, upload=upload)
        assert done.state == OccurrenceState.DONE and done.evidence_name == "report.pdf" and done.evidence_file


def test_completing_needs_evidence_a_safe_file_and_the_owner_or_a_manager(world_a):
    contract = active_contract(world_a)
    obligation = add_obligation(world_a, contract, owner=world_a.account_manager)
    with world_a.context():
        occurrence = ObligationOccurrence.objects.filter(obligation=obligation).first()
        with pytest.raises(DomainError) as missing:
            service.obligation_occurrence_complete(occurrence=occurrence, actor=world_a.account_manager, note=" ")
        assert missing.value.field == "note"
        bad = SimpleUploadedFile("report.html", b"<html>", content_type="text/html")
        with pytest.raises(DomainError) as refused:
            service.obligation_occurrence_complete(occurrence=occurrence, actor=world_a.account_manager, upload=bad)
        assert refused.value.field == "file"
        with pytest.raises(ActionForbidden):
            service.obligation_occurrence_complete(occurrence=occurrence, actor=world_a.engineer, note="not mine")
        assert ObligationOccurrence.objects.get(pk=occurrence.pk).state == OccurrenceState.PENDING


# --- templates --------------------------------------------------------------------------------

def test_a_template_applied_to_many_contracts_creates_one_obligation_each_once(world_a):
    contracts = [active_contract(world_a) for _i in range(3)]
    with world_a.context(user=world_a.admin):
        template = service.obligation_template_create(
            actor=world_a.admin, title="Closing documents", rule=ObligationRule.BUSINESS_DAYS, business_days=3)
        created = service.obligation_template_apply(template=template, contracts=contracts[:2], actor=world_a.admin)
        assert len(created) == 2
        again = service.obligation_template_apply(template=template, contracts=contracts, actor=world_a.admin)
        assert [o.contract_id for o in again] == [contracts[2].pk]
        assert service.obligation_template_apply(template=template, contracts=contracts, actor=world_a.admin) == []
        assert Obligation.objects.filter(template=template).count() == 3
        # the owner is each contract's account manager
        assert set(Obligation.objects.filter(template=template).values_list("owner", flat=True)) == {
            world_a.account_manager.pk}
        assert ObligationOccurrence.objects.filter(obligation__template=template).count() >= 9


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, field", [
    ({"rule": ObligationRule.YEARLY, "day": 30, "month": 2}, "day"),
    ({"rule": ObligationRule.YEARLY, "day": 31, "month": 4}, "day"),
    ({"rule": ObligationRule.MONTHLY, "day": 0}, "day"),
    ({"rule": ObligationRule.MONTHLY, "day": None}, "day"),
    ({"rule": ObligationRule.YEARLY, "day": 31, "month": None}, "month"),
    ({"rule": ObligationRule.BUSINESS_DAYS, "business_days": 0}, "business_days"),
    ({"rule": "weekly"}, "rule"),
])
def test_a_rule_that_never_fires_is_refused_naming_the_field(world_a, fields, field):
    contract = active_contract(world_a)
    with pytest.raises(DomainError) as refused:
        add_obligation(world_a, contract, **fields)
    assert refused.value.field == field
    with world_a.context():
        assert not Obligation.objects.exists()


def test_a_yearly_date_the_contract_never_reaches_is_refused(world_a):
    today = local_today(world_a.tenant)
    end = today + dt.timedelta(days=20)
    contract = active_contract(world_a, end_date=end)
    # a yearly date more than a year after the contract's end… is never due while it runs
    never = add_months(today, 6)
    with pytest.raises(DomainError) as refused:
        add_obligation(world_a, contract, rule=ObligationRule.YEARLY, day=never.day, month=never.month,
                       starts_on=add_months(end, 13))
    assert refused.value.field == "starts_on"


def test_the_owner_must_be_provider_staff_of_this_tenant(world_a, world_b):
    contract = active_contract(world_a)
    with pytest.raises(DomainError) as client_user:
        add_obligation(world_a, contract, owner=world_a.client_admin)
    assert client_user.value.field == "owner"
    with pytest.raises(DomainError) as stranger:
        add_obligation(world_a, contract, owner=world_b.engineer)
    assert stranger.value.field == "owner"


def test_only_managers_add_obligations(world_a):
    contract = active_contract(world_a)
    with world_a.context(), pytest.raises(ActionForbidden):
        service.obligation_create(contract=contract, actor=world_a.engineer, owner=world_a.engineer,
                                  title="X", rule=ObligationRule.MONTHLY, day=5)


# --- API --------------------------------------------------------------------------------------

def _api_body(world, on_contract, **overrides):
    body = {"contract": on_contract.pk, "title": "Payslips to external staff", "owner": world.engineer.pk,
            "rule": "monthly", "day": 10}
    body.update(overrides)
    return body


def test_api_creates_lists_and_completes(api_as, world_a):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.account_manager)
    created = api.post("/api/v1/obligations/", _api_body(world_a, contract), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["open_count"] >= 3
    listed = api.get(f"/api/v1/obligation-occurrences/?contract={contract.pk}")
    assert listed.status_code == 200
    first = listed.json()["results"][0]
    done = api_as(world_a, world_a.engineer).post(f"/api/v1/obligation-occurrences/{first['id']}/complete/",
                                                  {"note": "Paid"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done"
    again = api.post(f"/api/v1/obligation-occurrences/{first['id']}/complete/", {"note": "Paid"}, format="json")
    assert_error(again, 409)
    changed = api.patch(f"/api/v1/obligations/{created.json()['id']}/", {"day": 31}, format="json")
    assert changed.status_code == 200 and changed.json()["day"] == 31


def test_api_completes_with_an_uploaded_file(api_as, world_a):
    contract = active_contract(world_a)
    obligation = add_obligation(world_a, contract)
    with world_a.context():
        occurrence = ObligationOccurrence.objects.filter(obligation=obligation).first()
    upload = SimpleUploadedFile("payslips.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    done = api_as(world_a, world_a.engineer).post(f"/api/v1/obligation-occurrences/{occurrence.pk}/complete/",
                                                  {"file": upload}, format="multipart")
    assert done.status_code == 200, done.content
    assert done.json()["has_evidence_file"] is True and done.json()["evidence_name"] == "payslips.pdf"


@pytest.mark.parametrize("overrides, field", [
    ({"rule": "yearly", "day": 30, "month": 2}, "day"),
    ({"rule": "monthly", "day": 32}, "day"),
    ({"rule": "business_days", "business_days": None}, "business_days"),
    ({"owner": "client"}, "owner"),
    ({"owner": "stranger"}, "owner"),
    ({"contract": "stranger"}, "contract"),
])
def test_api_bad_input_is_a_400_naming_the_field(api_as, world_a, world_b, overrides, field):
    contract = active_contract(world_a)
    other_contract = draft_contract(world_b)
    resolved = {"client": world_a.client_admin.pk, "stranger": world_b.engineer.pk}
    body = _api_body(world_a, contract, **overrides)
    if overrides.get("owner"):
        body["owner"] = resolved[overrides["owner"]]
    if overrides.get("contract"):
        body["contract"] = other_contract.pk
    response = api_as(world_a, world_a.account_manager).post("/api/v1/obligations/", body, format="json")
    assert_error(response, 400, field=field)
    with world_a.context():
        assert not Obligation.objects.exists()


def test_api_another_tenants_obligations_are_404_everywhere(api_as, world_a, world_b):
    contract = active_contract(world_a)
    obligation = add_obligation(world_a, contract)
    with world_a.context():
        occurrence = ObligationOccurrence.objects.filter(obligation=obligation).first()
    api = api_as(world_b, world_b.admin)
    assert_error(api.get(f"/api/v1/obligations/{obligation.pk}/"), 404)
    assert_error(api.patch(f"/api/v1/obligations/{obligation.pk}/", {"title": "x"}, format="json"), 404)
    assert_error(api.get(f"/api/v1/obligation-occurrences/{occurrence.pk}/"), 404)
    assert_error(api.post(f"/api/v1/obligation-occurrences/{occurrence.pk}/complete/", {"note": "x"},
                          format="json"), 404)
    assert api.get("/api/v1/obligations/").json()["count"] == 0
    assert api.get("/api/v1/obligation-occurrences/").json()["count"] == 0
    with world_a.context():
        assert ObligationOccurrence.objects.get(pk=occurrence.pk).state == OccurrenceState.PENDING


def test_api_list_queries_do_not_grow_with_rows(api_as, world_a, django_assert_max_num_queries):
    contract = active_contract(world_a)
    for day in (3, 10, 20):
        add_obligation(world_a, contract, day=day, title=f"Duty {day}")
    api = api_as(world_a, world_a.account_manager)
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/obligation-occurrences/").status_code == 200
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/obligations/").status_code == 200


# --- pages ------------------------------------------------------------------------------------

def _pages(contract, obligation, occurrence, template):
    return [
        reverse("contracts:contract-obligations", args=[contract.pk]),
        reverse("contracts:obligation-edit", args=[obligation.pk]),
        reverse("contracts:obligation-occurrence", args=[occurrence.pk]),
        reverse("contracts:obligation-template-edit", args=[template.pk]),
        reverse("contracts:obligation-template-apply", args=[template.pk]),
    ]


@pytest.fixture
def obligation_world(world_a):
    start = local_today(world_a.tenant) - dt.timedelta(days=40)
    contract = active_contract(world_a, start_date=start)
    obligation = add_obligation(world_a, contract, starts_on=start)
    with world_a.context(user=world_a.admin):
        service.obligation_alerts_send()
        template = service.obligation_template_create(actor=world_a.admin, title="External audit",
                                                      rule=ObligationRule.YEARLY, day=31, month=3)
        occurrence = ObligationOccurrence.objects.filter(obligation=obligation, state=OccurrenceState.OVERDUE).first()
    return contract, obligation, occurrence, template


@pytest.mark.parametrize("language", ["en", "ru"])
def test_pages_render_in_english_and_russian(client, world_a, obligation_world, language):
    contract, obligation, occurrence, template = obligation_world
    client.force_login(world_a.account_manager)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    urls = [*_pages(*obligation_world), reverse("contracts:obligation-occurrences"),
            reverse("contracts:obligation-occurrences") + "?show=done",
            reverse("contracts:obligation-occurrences") + "?show=mine",
            reverse("contracts:obligation-templates"), reverse("contracts:contract-detail", args=[contract.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">'.encode() in response.content
    overdue = client.get(reverse("contracts:obligation-occurrences")).content.decode()
    assert f'data-occurrence="{occurrence.pk}"' in overdue
    detail = client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
    assert reverse("contracts:contract-obligations", args=[contract.pk]) in detail
    assert 'data-kind="obligation_added"' in detail and 'data-kind="obligation_overdue"' in detail
    assert "Monthly report — " in detail  # the timeline says which obligation


def test_another_tenants_pages_are_404(client, world_b, obligation_world):
    contract, obligation, occurrence, template = obligation_world
    client.force_login(world_b.admin)
    for url in _pages(*obligation_world):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"title": "x"}).status_code == 404, url
    complete = reverse("contracts:obligation-occurrence-complete", args=[occurrence.pk])
    assert client.post(complete, {"note": "x"}).status_code == 404
    assert client.get(reverse("contracts:obligation-occurrence-evidence", args=[occurrence.pk])).status_code == 404
    assert f'data-occurrence="{occurrence.pk}"' not in client.get(
        reverse("contracts:obligation-occurrences")).content.decode()


def test_the_owner_marks_an_occurrence_done_with_a_file_on_its_page(client, world_a, obligation_world):
    contract, obligation, occurrence, template = obligation_world
    client.force_login(world_a.engineer)
    url = reverse("contracts:obligation-occurrence-complete", args=[occurrence.pk])
    assert client.post(url, {"note": ""}).status_code == 400
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    response = client.post(url, {"note": "Sent", "file": upload})
    assert response.status_code == 302
    with world_a.context():
        assert ObligationOccurrence.objects.get(pk=occurrence.pk).state == OccurrenceState.DONE_LATE
    download = client.get(reverse("contracts:obligation-occurrence-evidence", args=[occurrence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 report"


def test_a_manager_adds_an_obligation_and_applies_a_template_on_the_pages(client, world_a, obligation_world):
    contract, obligation, occurrence, template = obligation_world
    client.force_login(world_a.account_manager)
    page = reverse("contracts:contract-obligations", args=[contract.pk])
    bad = client.post(page, {"title": "Audit", "owner": world_a.engineer.pk, "rule": "yearly", "day": 30,
                             "month": 2, "reminder_days": 3})
    assert bad.status_code == 400 and "February" in bad.content.decode()
    good = client.post(page, {"title": "Audit", "owner": world_a.engineer.pk, "rule": "yearly", "day": 31,
                              "month": 3, "reminder_days": 14})
    assert good.status_code == 302
    other = active_contract(world_a)
    apply = reverse("contracts:obligation-template-apply", args=[template.pk])
    assert client.post(apply, {"contracts": [contract.pk, other.pk]}).status_code == 302
    assert client.post(apply, {"contracts": [contract.pk, other.pk]}).status_code == 302
    with world_a.context():
        assert Obligation.objects.filter(template=template).count() == 2
        assert ObligationTemplate.objects.count() == 1


def test_an_engineer_sees_the_pages_but_cannot_manage(client, world_a, obligation_world):
    contract, obligation, occurrence, template = obligation_world
    client.force_login(world_a.engineer)
    page = reverse("contracts:contract-obligations", args=[contract.pk])
    assert client.get(page).status_code == 200
    assert client.post(page, {"title": "x"}).status_code == 403
    assert client.get(reverse("contracts:obligation-edit", args=[obligation.pk])).status_code == 403


# --- concurrency ------------------------------------------------------------------------------

def _in_threads(count: int, work) -> list:
    import threading

    from django.db import connection

    barrier, errors = threading.Barrier(count), []

    def run():
        try:
            barrier.wait(timeout=30)
            work()
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@postgres_only("concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_generation_and_alerts_run_concurrently_create_and_send_each_once(world_a):
    start = local_today(world_a.tenant) - dt.timedelta(days=70)
    contract = active_contract(world_a, start_date=start)
    obligation = add_obligation(world_a, contract, starts_on=start)
    expected = occurrences(world_a, obligation)
    with world_a.context():
        ObligationOccurrence.objects.filter(obligation=obligation).delete()

    assert _in_threads(4, lambda: generate_obligation_occurrences(world_a.tenant.pk)) == []
    assert occurrences(world_a, obligation) == expected

    assert _in_threads(4, lambda: obligation_alerts(world_a.tenant.pk)) == []
    with world_a.context():
        overdue = ObligationOccurrence.objects.filter(obligation=obligation, state=OccurrenceState.OVERDUE).count()
        assert overdue >= 2
        assert ContractEvent.objects.filter(contract=contract, kind=ContractEvent.Kind.OBLIGATION_OVERDUE).count() == overdue
        assert Notification.objects.filter(user=world_a.engineer, kind="obligation_overdue").count() == overdue
