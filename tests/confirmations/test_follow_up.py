"""What follows an act: deemed acceptance at the deadline (beat task), corrective actions from low
ratings, and one signature however many sign at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from confirmations import services, tasks
from confirmations.models import ActState, Confirmation, CorrectiveAction, SignatureEvidence
from confirmations.services import SignInput
from tenancy.context import tenant_context
from tenancy.errors import DomainError
from tenancy.models import Notification
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract

from .support import read, reload, sent_act, sign

pytestmark = pytest.mark.django_db


def test_an_unanswered_act_is_deemed_accepted_by_the_beat_task(world_a, world_b, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    other = sent_act(world_b, django_capture_on_commit_callbacks)
    with time_machine.travel(act.accept_by - dt.timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.deem_overdue_acts.delay().get() == 0
    with time_machine.travel(act.accept_by + dt.timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.deem_overdue_acts.delay().get() == 2
    act = reload(world_a, act)
    assert act.state == ActState.DEEMED_ACCEPTED and act.sealed_sha256
    assert read(act.sealed_pdf).startswith(read(act.pdf))
    with world_a.context():
        confirmation = Confirmation.objects.get(act=act)
        assert confirmation.kind == Confirmation.Kind.DEEMED and confirmation.rating is None
        assert act.evidence.method == SignatureEvidence.Method.DEEMED
        told = set(Notification.objects.filter(kind="act_deemed_accepted").values_list("user__username", flat=True))
    assert told == {"a_client_signatory", "a_client_admin"}
    assert reload(world_b, other).state == ActState.DEEMED_ACCEPTED
    # run again: nothing more happens
    with time_machine.travel(act.accept_by + dt.timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.deem_overdue_acts.delay().get() == 0


def test_a_signed_or_disputed_act_is_never_deemed_accepted(world_a, django_capture_on_commit_callbacks):
    act = sign(world_a, sent_act(world_a, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    with time_machine.travel(act.accept_by + dt.timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.deem_overdue_acts.delay().get() == 0
    assert reload(world_a, act).state == ActState.SIGNED


def test_a_low_rating_opens_a_corrective_action_that_a_later_good_one_closes(world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    low = sent_act(world_a, django_capture_on_commit_callbacks, contract=contract)
    sign(world_a, low, django_capture_on_commit_callbacks, rating=2, comment="Tickets were closed without a fix")
    with world_a.context():
        action = CorrectiveAction.objects.get()
        assert action.state == CorrectiveAction.State.OPEN and action.owner == world_a.account_manager
        assert action.contract == contract and "closed without a fix" in action.note
        assert Notification.objects.filter(user=world_a.account_manager, kind="corrective_action").exists()
    middling = sent_act(world_a, django_capture_on_commit_callbacks, contract=contract)
    sign(world_a, middling, django_capture_on_commit_callbacks, rating=3)
    with world_a.context():
        assert CorrectiveAction.objects.get().state == CorrectiveAction.State.OPEN
    good = sent_act(world_a, django_capture_on_commit_callbacks, contract=contract)
    sign(world_a, good, django_capture_on_commit_callbacks, rating=4)
    with world_a.context():
        action = CorrectiveAction.objects.get()
        assert action.state == CorrectiveAction.State.CLOSED and action.closed_at is not None
        assert action.closed_by == Confirmation.objects.get(act=good)


def test_a_low_rating_without_a_comment_opens_nothing(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError):
        sign(world_a, act, django_capture_on_commit_callbacks, rating=1)
    with world_a.context():
        assert not CorrectiveAction.objects.exists()


@postgres_only("two transactions racing for one row lock need a server database")
@pytest.mark.django_db(transaction=True)
def test_two_signatories_signing_at_once_make_one_signature(world_a):
    from .support import draft_act

    act = draft_act(world_a)
    with world_a.context(user=world_a.account_manager):
        services.act_send(act=act, actor=world_a.account_manager)  # real commit: the render task ran eagerly
    signers = [world_a.client_signatory, world_a.client_admin]
    barrier = threading.Barrier(len(signers))
    outcomes = []

    def attempt(user):
        try:
            with tenant_context(world_a.tenant, user=user):
                barrier.wait()
                services.act_sign(act=act, actor=user, data=SignInput(rating=5, consent=True,
                                                                      password="correct-horse-battery"))
            outcomes.append("signed")
        except DomainError as error:
            outcomes.append(error.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [409, "signed"]
    with world_a.context():
        assert Confirmation.objects.filter(act=act).count() == 1
        assert SignatureEvidence.objects.filter(act=act).count() == 1
