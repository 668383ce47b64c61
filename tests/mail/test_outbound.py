"""Outgoing e-mail: one service queues it after commit, a Celery task renders it in the recipient's
language with local times and sends it, retrying SMTP failures; every message is recorded."""

from __future__ import annotations

import datetime as dt
import smtplib
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.utils import timezone

from tenancy.mail import (
    mail_queue,
    outbound_requeue_stale,
    reply_token,
    send_outbound,
    thread_of_token,
)
from tenancy.models import OutboundMessage
from tenancy.services import notify_users

pytestmark = pytest.mark.django_db


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends with a dropped SMTP connection, then delivers."""

    failures = 0
    calls = 0

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls <= FlakyBackend.failures:
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    from config.celery import app

    settings.EMAIL_BACKEND = "tests.mail.test_outbound.FlakyBackend"
    FlakyBackend.calls = 0

    def fail(times: int):
        FlakyBackend.failures = times

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False  # each retry runs on, as in a worker
    yield fail
    app.conf.task_eager_propagates = previous


def rows(world):
    with world.context():
        return list(OutboundMessage.objects.order_by("pk"))


def test_a_notification_goes_out_as_text_and_html_with_an_absolute_link(world_a, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with world_a.context(user=world_a.admin), django_capture_on_commit_callbacks(execute=True):
        notify_users([world_a.engineer], kind="test", key="k1", title="Contract C-1 is active", body="It starts today.",
                     url="/contracts/1/")
    (message,) = mail.outbox
    assert message.subject == "Contract C-1 is active"
    assert message.to == [world_a.engineer.email]
    assert "It starts today." in message.body and "http://127.0.0.1:8000/contracts/1/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'href="http://127.0.0.1:8000/contracts/1/"' in html
    (row,) = rows(world_a)
    assert (row.state, row.attempts, row.to) == ("sent", 1, world_a.engineer.email)
    assert message.extra_headers["Message-ID"] == row.message_id


def test_nothing_is_sent_before_commit_and_nobody_is_told_twice(world_a, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with world_a.context(user=world_a.admin), django_capture_on_commit_callbacks() as callbacks:
        notify_users([world_a.engineer], kind="test", key="k2", title="T", body="B", url="/")
        notify_users([world_a.engineer], kind="test", key="k2", title="T", body="B", url="/")
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert [r.state for r in rows(world_a)] == ["queued"]


def test_the_mail_is_in_the_tenants_language_with_times_in_its_zone(world_a, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://contracts.example"
    world_a.tenant.language = "ru"
    world_a.tenant.time_zone = "Asia/Vladivostok"
    world_a.tenant.save()
    due = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    mail.outbox.clear()
    with world_a.context(), django_capture_on_commit_callbacks(execute=True):
        mail_queue(template="mail/sla_clock", user=world_a.account_manager, url="/orders/7/", thread="order:7",
                   context={"breached": False, "metric": "response", "number": "ORD-1", "order_title": "Printer",
                            "due_at": due})
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert 'lang="ru"' in html
    local = due.astimezone(zoneinfo.ZoneInfo("Asia/Vladivostok"))
    shown = f"{local.hour}:{local:%M}"  # Russian times have no leading zero (G:i): 0:27, 14:05
    assert shown in message.body and shown in html
    assert "https://contracts.example/orders/7/" in message.body
    (row,) = rows(world_a)
    assert row.language == "ru"
    # a reply to it finds the order: the Reply-To carries the order's token
    assert message.reply_to == [row.reply_to] and "+tenant-a+o-7-" in row.reply_to
    token = row.reply_to.split("+")[2].split("@")[0]
    assert thread_of_token(tenant_id=world_a.tenant.pk, token=token) == "order:7"


def test_reply_tokens_cannot_be_made_up_or_moved_to_another_tenant(world_a, world_b):
    token = reply_token(tenant_id=world_a.tenant.pk, thread="order:5")
    assert thread_of_token(tenant_id=world_a.tenant.pk, token=token) == "order:5"
    assert thread_of_token(tenant_id=world_b.tenant.pk, token=token) is None
    assert thread_of_token(tenant_id=world_a.tenant.pk, token=token.replace("o-5-", "o-6-")) is None
    assert thread_of_token(tenant_id=world_a.tenant.pk, token="o-5-") is None


def like_a_worker(world, message):
    """Run the send task as a worker would: a failure is retried (eagerly here, without the countdown)."""
    return send_outbound.apply(args=(world.tenant.pk, message.pk, None), throw=False)


def test_smtp_failures_are_retried_until_the_mail_goes_out(world_a, flaky, django_capture_on_commit_callbacks):
    flaky(2)
    mail.outbox.clear()
    with world_a.context(), django_capture_on_commit_callbacks(execute=False):
        message = mail_queue(template="mail/notification", user=world_a.engineer, context={"title": "T", "body": "B"})
    assert like_a_worker(world_a, message).successful()
    assert len(mail.outbox) == 1
    (row,) = rows(world_a)
    assert (row.state, row.attempts) == ("sent", 3)
    assert "SMTPServerDisconnected" in row.last_error  # the failures stay visible


def test_after_the_last_attempt_the_failure_is_recorded(world_a, flaky, settings, django_capture_on_commit_callbacks,
                                                        caplog):
    flaky(100)
    mail.outbox.clear()
    with world_a.context(), django_capture_on_commit_callbacks(execute=False):
        message = mail_queue(template="mail/notification", user=world_a.engineer, context={"title": "T", "body": "B"})
    assert like_a_worker(world_a, message).failed()
    assert mail.outbox == []
    (row,) = rows(world_a)
    assert row.state == "failed" and row.attempts == settings.OUTBOUND_MAIL_MAX_ATTEMPTS
    assert "connection unexpectedly closed" in row.last_error
    assert any("giving up" in r.getMessage() for r in caplog.records)


def test_the_signing_code_is_never_stored(world_a, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with world_a.context(), django_capture_on_commit_callbacks(execute=True):
        mail_queue(template="mail/signing_code", user=world_a.client_signatory,
                   context={"number": "ACT-1", "requested_at": timezone.now()}, secret_context={"code": "482913"})
    assert "482913" in mail.outbox[0].body
    (row,) = rows(world_a)
    assert "482913" not in str(row.context) and row.state == "sent"


def test_a_russian_tenants_signatory_gets_the_code_in_russian(world_a, django_capture_on_commit_callbacks):
    world_a.tenant.language = "ru"
    world_a.tenant.save()
    mail.outbox.clear()
    with world_a.context(), django_capture_on_commit_callbacks(execute=True):
        mail_queue(template="mail/signing_code", user=world_a.client_signatory,
                   context={"number": "ACT-7", "requested_at": timezone.now()}, secret_context={"code": "135790"})
    (message,) = mail.outbox
    assert message.subject == "Ваш код для подписания акта ACT-7"
    assert "135790" in message.body


def test_a_lost_message_is_queued_again_but_a_lost_secret_is_not(world_a, django_capture_on_commit_callbacks):
    with world_a.context(), django_capture_on_commit_callbacks(execute=False):  # the broker lost them
        plain = mail_queue(template="mail/notification", user=world_a.engineer, context={"title": "T", "body": "B"})
        secret = mail_queue(template="mail/signing_code", user=world_a.client_signatory,
                            context={"number": "ACT-1", "requested_at": timezone.now()},
                            secret_context={"code": "111222"})
    mail.outbox.clear()
    with world_a.context():
        assert outbound_requeue_stale() == 0  # not stale yet
    with (time_machine.travel(timezone.now() + dt.timedelta(minutes=30), tick=True), world_a.context(),
          django_capture_on_commit_callbacks(execute=True)):
        assert outbound_requeue_stale() == 1
    assert [m.to for m in mail.outbox] == [[world_a.engineer.email]]
    with world_a.context():
        assert OutboundMessage.objects.get(pk=plain.pk).state == "sent"
        assert OutboundMessage.objects.get(pk=secret.pk).state == "failed"


def test_the_send_task_retries_smtp_errors_with_exponential_backoff(settings):
    assert send_outbound.autoretry_for == (smtplib.SMTPException, OSError)
    assert send_outbound.retry_backoff and send_outbound.max_retries == settings.OUTBOUND_MAIL_MAX_ATTEMPTS - 1 == 5
    assert send_outbound.retry_backoff_max <= 10 * 60  # within the broker's visibility timeout
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "tenancy.mail.requeue_stale" in schedule and "integrations.mail.tasks.poll_imap" in schedule


def test_a_user_without_an_address_gets_no_mail(world_a):
    world_a.engineer.email = ""
    world_a.engineer.save()
    with world_a.context():
        assert mail_queue(template="mail/notification", user=world_a.engineer, context={}) is None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_outgoing_page_shows_the_tenants_messages_only(world_a, world_b, password, language,
                                                           django_capture_on_commit_callbacks):
    with world_a.context(), django_capture_on_commit_callbacks(execute=True):
        mail_queue(template="mail/notification", user=world_a.engineer, context={"title": "Alpha notice", "body": "B"})
    with world_b.context(), django_capture_on_commit_callbacks(execute=True):
        mail_queue(template="mail/notification", user=world_b.engineer, context={"title": "Beta notice", "body": "B"})
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    browser.login(username=world_a.admin.username, password=password)
    page = browser.get("/mail/outbound/")
    assert page.status_code == 200
    assert "Alpha notice" in page.content.decode() and "Beta notice" not in page.content.decode()
    assert browser.get("/mail/outbound/?state=failed").status_code == 200
    assert browser.get("/mail/outbound/?state=nonsense&page=x").status_code == 200


def test_only_administrators_open_the_mail_pages(world_a, password):
    engineer = Client()
    engineer.login(username=world_a.engineer.username, password=password)
    assert engineer.get("/mail/outbound/").status_code == 403
    assert engineer.get("/mail/inbound/").status_code == 403
    client_user = Client()
    client_user.login(username=world_a.client_admin.username, password=password)
    assert client_user.get("/mail/outbound/").status_code == 302  # to the portal
