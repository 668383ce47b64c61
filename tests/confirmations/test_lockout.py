"""Signing locks out after repeated failures, per user: five wrong passwords or codes within 15
minutes lock that user's signing for 15 minutes, with a message saying until when; a signature
resets the count."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from confirmations.models import ActState, SigningLockout
from tenancy.errors import DomainError
from tests.contracts.api_support import assert_error
from tests.factories import PASSWORD
from tests.orders.api_support import session_as

from .support import ACTS, reload, sent_act, sign

pytestmark = pytest.mark.django_db


def wrong(world, act, capture, times: int, user=None) -> list[str]:
    """Sign with a wrong password `times` times; the codes of the refusals."""
    codes = []
    for _ in range(times):
        with pytest.raises(DomainError) as refused:
            sign(world, act, capture, user=user, password="not-my-password")
        codes.append(refused.value.code)
    return codes


def later(minutes: float):
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=True)


def test_five_wrong_passwords_lock_signing_for_fifteen_minutes(world_a, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    act = sent_act(world_a, capture)
    assert wrong(world_a, act, capture, 4) == ["wrong_password"] * 4
    with pytest.raises(DomainError) as locked:
        sign(world_a, act, capture, password="still-not-it")
    until = timezone.now() + dt.timedelta(minutes=15)
    assert locked.value.code == "locked_out" and locked.value.status == 429 and locked.value.field == "password"
    local = until.astimezone(zoneinfo.ZoneInfo(world_a.tenant.time_zone))
    assert local.strftime("%H:%M") in str(locked.value.message) or (
        (local - dt.timedelta(minutes=1)).strftime("%H:%M") in str(locked.value.message))
    # while locked, even the right password does not sign
    with pytest.raises(DomainError) as still:
        sign(world_a, act, capture)
    assert still.value.code == "locked_out"
    assert reload(world_a, act).state == ActState.SENT
    with later(14), pytest.raises(DomainError) as still:
        sign(world_a, act, capture)
    assert still.value.code == "locked_out"
    with later(16):
        assert sign(world_a, act, capture).state == ActState.SIGNED


def test_a_signature_resets_the_count_and_slow_failures_never_lock(world_a, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first, second = sent_act(world_a, capture), sent_act(world_a, capture)
    assert wrong(world_a, first, capture, 4) == ["wrong_password"] * 4
    assert sign(world_a, first, capture).state == ActState.SIGNED
    with world_a.context():
        assert not SigningLockout.objects.exists()
    assert wrong(world_a, second, capture, 4) == ["wrong_password"] * 4
    with later(16):  # the window has passed: four more are not five in 15 minutes
        assert wrong(world_a, second, capture, 4) == ["wrong_password"] * 4
        assert sign(world_a, second, capture).state == ActState.SIGNED


def test_the_lockout_is_the_users_own(world_a, world_b, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    act = sent_act(world_a, capture)
    assert wrong(world_a, act, capture, 5)[-1] == "locked_out"
    # the client's administrator may still sign, and another tenant's signatory is not affected
    assert sign(world_a, act, capture, user=world_a.client_admin).state == ActState.SIGNED
    other = sent_act(world_b, capture)
    assert sign(world_b, other, capture).state == ActState.SIGNED


def test_the_api_answers_429_and_the_portal_shows_until_when(world_a, client, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    act = sent_act(world_a, capture)
    api = session_as(world_a.client_signatory)
    url = f"{ACTS}{act.pk}/sign/"
    body = {"rating": 5, "password": "guess", "consent": True}
    for _ in range(4):
        assert_error(api.post(url, body, format="json"), 400, field="password")
    response = api.post(url, body, format="json")
    assert_error(response, 429, code="locked_out", field="password")
    assert "locked" in response.json()["message"]
    assert_error(api.post(url, {**body, "password": PASSWORD}, format="json"), 429, code="locked_out")
    client.force_login(world_a.client_signatory)
    page = client.post(reverse("confirmations:portal-act-sign", args=[act.pk]),
                       {"rating": "5", "method": "password", "password": PASSWORD, "consent": "on"})
    assert page.status_code == 400 and "Signing is locked for you until" in page.content.decode()
    code = client.post(reverse("confirmations:portal-act-code", args=[act.pk]), follow=True)
    assert "Signing is locked for you until" in code.content.decode()
    assert reload(world_a, act).state == ActState.SENT
