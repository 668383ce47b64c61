"""Deliveries against a real receiver on localhost that checks every signature with its own
implementation of Standard Webhooks: the body, the headers, retries on the schedule and then no
more, secret rotation (two signatures), replay, and the refusals at delivery time."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from integrations.webhooks import services, tasks
from integrations.webhooks.models import DeliveryState, Endpoint
from tenancy.models import Notification

from .support import ENDPOINTS, attempts, deliveries, endpoints

pytestmark = pytest.mark.django_db


def register(api, url, types=("order.created",)):
    response = api.post(ENDPOINTS, {"url": url, "event_types": list(types), "description": "ERP"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_test_event_arrives_signed_and_the_receiver_verifies_it_independently(local_tenant, api_as, receiver, committed):
    api = api_as(local_tenant)
    created = register(api, receiver.url)
    receiver.secrets = [created["secret"]]
    assert created["secret"].startswith("whsec_")

    with committed():

        response = api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")

    assert response.status_code == 202
    [got] = receiver.received
    assert got.verified and got.status == 200
    body = json.loads(got.body)
    assert body["type"] == "webhook.test" and body["data"]["endpoint_id"] == created["id"]
    assert body["timestamp"].endswith("Z")
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    [delivery] = deliveries(local_tenant)
    assert delivery.state == DeliveryState.DELIVERED and delivery.message_id == got.headers["webhook-id"]
    [attempt] = attempts(local_tenant, delivery)
    assert attempt.ok and attempt.status_code == 200 and attempt.response_excerpt == '{"ok":true}'


def test_failures_are_retried_on_the_schedule_and_then_delivered(local_tenant, api_as, receiver, committed):
    receiver.fail_first = 3
    api = api_as(local_tenant)
    created = register(api, receiver.url)
    receiver.secrets = [created["secret"]]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with committed():
            api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
        assert len(receiver.received) == 1  # failed; the 5 s countdown task came early and did nothing
        [delivery] = deliveries(local_tenant)
        assert delivery.tries == 1 and delivery.next_attempt_at == start + dt.timedelta(seconds=5)

        clock.shift(dt.timedelta(seconds=4))
        tasks.deliver_due()
        assert len(receiver.received) == 1  # not yet due
        clock.shift(dt.timedelta(seconds=1))
        tasks.deliver_due()
        assert len(receiver.received) == 2
        clock.shift(dt.timedelta(minutes=5) - dt.timedelta(seconds=1))
        tasks.deliver_due()
        assert len(receiver.received) == 2
        clock.shift(dt.timedelta(seconds=1))
        tasks.deliver_due()
        assert len(receiver.received) == 3
        clock.shift(dt.timedelta(minutes=30))
        tasks.deliver_due()
        assert len(receiver.received) == 4
        clock.shift(dt.timedelta(hours=10))
        tasks.deliver_due()
        assert len(receiver.received) == 4  # delivered: nothing more

    statuses = [r.status for r in receiver.received]
    assert statuses == [500, 500, 500, 200]
    assert all(r.verified for r in receiver.received)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the same message every time
    gaps = [round(b.at - a.at) for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
    assert gaps == [5, 300, 1800]
    [delivery] = deliveries(local_tenant)
    assert delivery.state == DeliveryState.DELIVERED and delivery.tries == 4
    logged = attempts(local_tenant, delivery)
    assert [a.status_code for a in logged] == [500, 500, 500, 200]
    assert len(logged[0].response_excerpt) == 1024  # the answer's first KiB only


def test_a_receiver_that_keeps_failing_gets_eight_attempts_in_about_a_day_and_no_more(local_tenant, api_as, receiver, committed):
    receiver.fail_first = 1000
    api = api_as(local_tenant)
    created = register(api, receiver.url)
    receiver.secrets = [created["secret"]]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with committed():
            api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
        for wait in services.RETRY_SCHEDULE:
            clock.shift(wait)
            tasks.deliver_due()
        clock.shift(dt.timedelta(days=2))
        tasks.deliver_due()
        final = timezone.now()

    assert len(receiver.received) == services.MAX_ATTEMPTS == 8
    span = receiver.received[-1].at - receiver.received[0].at
    assert dt.timedelta(hours=20) < dt.timedelta(seconds=span) < dt.timedelta(hours=30)
    [delivery] = deliveries(local_tenant)
    assert delivery.state == DeliveryState.FAILED and delivery.next_attempt_at is None
    assert final  # the clock moved on and nothing more was sent


def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(local_tenant, api_as, receiver, committed):
    api = api_as(local_tenant)
    created = register(api, receiver.url)
    old = created["secret"]
    rotated = api.post(f"{ENDPOINTS}{created['id']}/rotate-secret/", {"overlap_hours": 2}, format="json").json()
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old and rotated["has_previous_secret"]

    receiver.secrets = [old]  # a receiver not yet switched still verifies
    with committed():
        api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
    receiver.secrets = [new]
    with committed():
        api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
    assert [r.verified for r in receiver.received] == [True, True]
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2

    with time_machine.travel(timezone.now() + dt.timedelta(hours=3), tick=False):
        receiver.secrets = [old]
        with committed():
            api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
    assert receiver.received[-1].verified is False  # the overlap is over: only the new secret signs
    assert len(receiver.received[-1].headers["webhook-signature"].split(" ")) == 1


def test_a_replay_sends_the_same_message_again(local_tenant, api_as, receiver, committed):
    api = api_as(local_tenant)
    created = register(api, receiver.url)
    receiver.secrets = [created["secret"]]
    with committed():
        api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
    [delivery] = deliveries(local_tenant)

    with committed():
        response = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/", {}, format="json")

    assert response.status_code == 202
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert receiver.received[0].body == receiver.received[1].body
    assert len(attempts(local_tenant, delivery)) == 2


def test_a_redirect_is_not_followed_and_counts_as_a_failure(local_tenant, api_as, receiver, committed):
    api = api_as(local_tenant)
    created = register(api, receiver.url)
    receiver.secrets = [created["secret"]]
    receiver.redirect_to = receiver.url + "/elsewhere"

    with committed():

        api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")

    assert len(receiver.received) == 1  # the redirect's target was never asked
    [delivery] = deliveries(local_tenant)
    [attempt] = attempts(local_tenant, delivery)
    assert attempt.status_code == 302 and not attempt.ok and "not followed" in attempt.error
    assert delivery.state == DeliveryState.PENDING and delivery.next_attempt_at is not None


def test_a_host_that_now_resolves_to_a_private_address_is_refused_at_delivery(world_a, api_as, fake_dns, settings, committed):
    api = api_as(world_a)
    created = register(api, "https://hooks.example.com/in")
    fake_dns["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding after registration

    with committed():

        api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")

    [delivery] = deliveries(world_a)
    [attempt] = attempts(world_a, delivery)
    assert attempt.status_code is None and not attempt.ok
    assert "private" in attempt.error
    assert delivery.state == DeliveryState.PENDING and delivery.tries == 1


def test_an_endpoint_failing_for_days_is_disabled_and_its_administrators_told(world_a, api_as, fake_dns, settings, committed):
    settings.WEBHOOK_DISABLE_AFTER_DAYS = 2
    api = api_as(world_a)
    created = register(api, "https://hooks.example.com/in")
    fake_dns["hooks.example.com"] = ["10.0.0.1"]
    start = timezone.now()
    for day in range(3):
        with time_machine.travel(start + dt.timedelta(days=day, minutes=1), tick=False):
            with committed():
                api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")

    [endpoint] = endpoints(world_a)
    assert not endpoint.is_active and endpoint.disabled_at is not None
    with world_a.context():
        told = Notification.objects.filter(kind="webhook_disabled")
        assert {n.user for n in told} == {world_a.admin}
    with committed():
        response = api.post(f"{ENDPOINTS}{created['id']}/test/", {}, format="json")
    assert response.status_code == 400  # disabled: enable it first
    api.patch(f"{ENDPOINTS}{created['id']}/", {"is_active": True}, format="json")
    with world_a.context():
        assert Endpoint.objects.get().is_active
