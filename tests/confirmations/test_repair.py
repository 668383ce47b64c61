"""Rendering and sealing survive failures: the tasks retry with backoff, and the beat repair task
finds acts left without a PDF or a seal (a worker died mid-way) and queues them again, once."""

from __future__ import annotations

import datetime as dt
import zlib

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from confirmations import pdf as act_pdf
from confirmations import services, tasks
from confirmations.models import ActEvent, ActState
from confirmations.signing import check_seal
from tenancy.errors import TransitionRefused

from .support import ACTS, draft_act, read, reload, sent_act, sign

pytestmark = pytest.mark.django_db


def failing(real, *, times: int, error: Exception):
    """`real`, except that its first `times` calls raise `error`; `calls` counts them all."""

    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        if wrapper.calls <= times:
            raise error
        return real(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


def events(world, act, kind):
    with world.context():
        return list(ActEvent.objects.filter(act_id=act.pk, kind=kind).order_by("at", "id"))


def test_render_and_seal_tasks_retry_with_backoff_on_any_error():
    for task in (tasks.render_act, tasks.seal_act):
        assert task.autoretry_for == (Exception,)
        assert task.retry_backoff and task.retry_jitter and task.max_retries >= 5
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["confirmations.tasks.repair_documents"] <= 10 * 60


def send_lost(world, act, capture):
    """Send the act, but the render task queued on commit is lost (its worker died)."""
    with world.context(user=world.account_manager), capture(execute=False):
        services.act_send(act=act, actor=world.account_manager)
    return reload(world, act)


def sign_lost(world, act, capture):
    """Sign the act, but the seal task queued on commit is lost."""
    with world.context(user=world.client_signatory), capture(execute=False):
        services.act_sign(act=act, actor=world.client_signatory,
                          data=services.SignInput(rating=5, consent=True, password="correct-horse-battery"))
    return reload(world, act)


def like_a_worker(task, *args):
    """Run `task` as a worker would: a failure is retried (eagerly here, without the countdown)."""
    return task.apply(args=args, throw=False)


def test_a_render_that_fails_once_is_completed_by_the_retry(world_a, monkeypatch, django_capture_on_commit_callbacks):
    flaky = failing(act_pdf.render_act_pdf, times=1, error=zlib.error("Error -3 while decompressing data"))
    monkeypatch.setattr(act_pdf, "render_act_pdf", flaky)
    act = send_lost(world_a, draft_act(world_a), django_capture_on_commit_callbacks)
    result = like_a_worker(tasks.render_act, world_a.tenant.pk, act.pk, act.revision)
    assert result.successful(), result.traceback
    act = reload(world_a, act)
    assert flaky.calls == 2
    assert act.pdf_sha256 and read(act.pdf).startswith(b"%PDF")
    assert len(events(world_a, act, "rendered")) == 1


def test_a_seal_that_fails_once_is_completed_by_the_retry(world_a, monkeypatch, django_capture_on_commit_callbacks):
    from confirmations.services import acts

    flaky = failing(acts.seal_pdf, times=1, error=OSError("No space left on device"))
    monkeypatch.setattr(acts, "seal_pdf", flaky)
    act = sign_lost(world_a, sent_act(world_a, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    assert act.state == ActState.SIGNED and not act.sealed_sha256
    result = like_a_worker(tasks.seal_act, world_a.tenant.pk, act.pk)
    assert result.successful(), result.traceback
    act = reload(world_a, act)
    assert flaky.calls == 2 and act.sealed_sha256
    assert check_seal(read(act.sealed_pdf)).signed


def later(minutes: float):
    """Travel `minutes` ahead of now (the clock keeps ticking)."""
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=True)


def test_a_render_lost_with_its_worker_is_queued_again_by_the_repair_task(world_a, world_b, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    stuck = [(world, send_lost(world, draft_act(world), capture)) for world in (world_a, world_b)]
    act = stuck[0][1]
    assert act.state == ActState.SENT and not act.pdf_sha256
    with world_a.context(user=world_a.client_signatory), pytest.raises(TransitionRefused) as refused:
        services.act_sign(act=act, actor=world_a.client_signatory,
                          data=services.SignInput(rating=5, consent=True, password="correct-horse-battery"))
    assert refused.value.code == "not_ready"
    with capture(execute=True) as queued:
        assert tasks.repair_documents() == 0  # just sent: its render may still be on its way
    assert queued == []

    with later(6):
        with capture(execute=True):
            assert tasks.repair_documents() == 2  # one per tenant, each in its own tenant
        for world, lost in stuck:
            repaired = reload(world, lost)
            assert repaired.pdf_sha256 and read(repaired.pdf).startswith(b"%PDF")
            assert repaired.revision == 1
            [requeued] = events(world, lost, "requeued")
            assert requeued.data == {"task": "render", "revision": 1} and requeued.actor is None
        with capture(execute=True) as queued:
            assert tasks.repair_documents() == 0  # done: nothing to queue the second time
        assert queued == []
        assert len(events(world_a, act, "requeued")) == 1


def test_a_seal_lost_with_its_worker_is_queued_again_by_the_repair_task(world_a, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    signed = sign_lost(world_a, sent_act(world_a, capture), capture)
    other = sent_act(world_a, capture)
    with later(6):
        with capture(execute=True):
            assert tasks.repair_documents() == 1
        signed = reload(world_a, signed)
        assert signed.sealed_sha256 and check_seal(read(signed.sealed_pdf)).signed
        assert signed.evidence.sealed_sha256 == signed.sealed_sha256
        assert events(world_a, signed, "requeued")[0].data["task"] == "seal"
    # an act deemed accepted whose seal task was lost is found too
    with later(60 * 24 * (other.contract.acceptance_days + 1)):
        with world_a.context(), capture(execute=False):
            assert services.acts_deem_overdue() == 1
        assert reload(world_a, other).state == ActState.DEEMED_ACCEPTED
        with later(6):
            with capture(execute=True):
                assert tasks.repair_documents() == 1
            assert reload(world_a, other).sealed_sha256
            with capture(execute=True) as queued:
                assert tasks.repair_documents() == 0
            assert queued == []


def test_work_that_keeps_failing_is_queued_again_only_every_half_hour(world_a, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    act = send_lost(world_a, draft_act(world_a), capture)
    runs = []
    for minutes in (6, 16, 40):
        with later(minutes), capture(execute=False) as queued:  # the worker keeps dying
            count = tasks.repair_documents()
        runs.append((count, len(queued)))
    assert runs == [(1, 1), (0, 0), (1, 1)]
    assert not reload(world_a, act).pdf_sha256


def test_a_manager_queues_the_pdf_of_a_stuck_act_again(world_a, world_b, api_as, client, django_capture_on_commit_callbacks):
    from tests.contracts.api_support import assert_error

    capture = django_capture_on_commit_callbacks
    act = send_lost(world_a, draft_act(world_a), capture)
    client.force_login(world_a.account_manager)
    page = client.get(f"/acts/{act.pk}/")
    assert page.status_code == 200 and 'data-testid="act-rerender"' in page.content.decode()
    assert_error(api_as(world_b).post(f"{ACTS}{act.pk}/send/"), 404)
    api = api_as(world_a, world_a.account_manager)
    with capture(execute=True):
        response = api.post(f"{ACTS}{act.pk}/send/")
    assert response.status_code == 200, response.content
    body = api.get(f"{ACTS}{act.pk}/").json()
    assert body["state"] == "sent" and body["revision"] == 1 and not body["preparing"]
    [requeued] = events(world_a, act, "requeued")
    assert requeued.actor == world_a.account_manager
    # once the PDF is there, sending again is refused as before
    assert_error(api.post(f"{ACTS}{act.pk}/send/"), 409)
    assert 'data-testid="act-rerender"' not in client.get(f"/acts/{act.pk}/").content.decode()


def test_a_task_for_an_older_revision_or_for_work_done_does_nothing(world_a, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    act = sent_act(world_a, capture)
    with world_a.context(user=world_a.client_signatory):
        services.act_dispute(act=act, actor=world_a.client_signatory, reason="Wrong period")
    act = send_lost(world_a, act, capture)
    assert act.revision == 2 and not act.pdf_sha256
    assert tasks.render_act.apply(args=(world_a.tenant.pk, act.pk, 1)).get() == ""
    assert not reload(world_a, act).pdf_sha256
    first = tasks.render_act.apply(args=(world_a.tenant.pk, act.pk, 2)).get()
    assert first and tasks.render_act.apply(args=(world_a.tenant.pk, act.pk, 2)).get() == first
    act = sign(world_a, reload(world_a, act), capture)
    assert act.sealed_sha256
    assert tasks.seal_act.apply(args=(world_a.tenant.pk, act.pk)).get() == act.sealed_sha256
    assert len(events(world_a, act, "sealed")) == 1
    assert len(events(world_a, act, "rendered")) == 2  # one per revision
