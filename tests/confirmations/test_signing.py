"""An act is sent as a PDF with a fixed hash, signed by the client's signatory with the evidence
kept, and sealed with a PAdES signature that anyone can check; altered copies are caught."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from confirmations import services
from confirmations.models import (
    ActEvent,
    ActState,
    Confirmation,
    SignatureEvidence,
    SigningCode,
    TenantCertificate,
)
from confirmations.services import SignInput, Verdict
from confirmations.signing import check_seal, sha256_hex
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tests.contracts.api_support import active_contract

from .support import (
    delivered_order,
    draft_act,
    one_byte_changed,
    read,
    reload,
    send,
    sent_act,
    sign,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def sealed_pdf(django_db_setup, django_db_blocker):
    """One sealed act, rendered and sealed once for the module (sealing costs real time)."""
    from tests.conftest import build_world

    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            world = build_world("Seal")
            act = draft_act(world)
            with world.context(user=world.account_manager):
                services.act_send(act=act, actor=world.account_manager)
                services.act_render(act_id=act.pk, revision=1)
            with world.context(user=world.client_signatory):
                services.act_sign(act=act, actor=world.client_signatory,
                                  data=SignInput(rating=5, consent=True, password="correct-horse-battery"))
                act = services.act_seal(act_id=act.pk)
                data = {"sealed": read(act.sealed_pdf), "original": read(act.pdf), "number": act.number,
                        "sealed_sha256": act.sealed_sha256, "pdf_sha256": act.pdf_sha256}
            transaction.set_rollback(True)
    return data


def test_act_from_delivered_orders_lists_each_order_once(world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    first = delivered_order(world_a, contract, "Replace the core switch")
    second = delivered_order(world_a, contract, "Move the office printers")
    act = draft_act(world_a, contract, basis=services.Basis.ORDERS)
    with world_a.context():
        lines = list(act.lines.order_by("position"))
    assert [line.order_id for line in lines] == [first.pk, second.pk]
    assert lines[0].description.startswith(first.number)
    # the same orders are not offered to a second act of the period
    with pytest.raises(DomainError) as refused:
        draft_act(world_a, contract, basis=services.Basis.ORDERS)
    assert refused.value.field == "basis"


def test_fixed_service_act_has_one_line_at_the_monthly_fee(world_a):
    contract = active_contract(world_a, monthly_fee=Decimal("250000.00"))
    act = draft_act(world_a, contract, basis=services.Basis.FEE)
    with world_a.context():
        (line,) = act.lines.all()
    assert line.description.startswith(f"Services under contract {contract.number} for ")
    assert line.amount == act.amount == Decimal("250000.00")
    assert act.state == ActState.DRAFT


def test_sending_renders_a_pdf_and_fixes_its_hash(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    pdf = read(act.pdf)
    assert pdf.startswith(b"%PDF")
    assert act.pdf_sha256 == sha256_hex(pdf)
    assert act.revision == 1 and act.state == ActState.SENT
    assert act.accept_by == act.sent_at + dt.timedelta(days=act.contract.acceptance_days)
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.root["/Pages"]["/Count"] >= 1
    assert str(reader.trailer["/Info"]["/Title"]) == act.number
    with world_a.context():
        assert ActEvent.objects.filter(act=act, kind="rendered").count() == 1


def test_russian_act_renders_too(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks, language="ru")
    assert read(act.pdf).startswith(b"%PDF") and act.pdf_sha256


def test_signing_with_the_password_keeps_the_evidence_and_seals_the_pdf(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    act = sign(world_a, act, django_capture_on_commit_callbacks, ip_address="203.0.113.7", user_agent="Firefox/140")
    assert act.state == ActState.SIGNED
    evidence = act.evidence
    assert evidence.signer == world_a.client_signatory
    assert evidence.method == SignatureEvidence.Method.PASSWORD
    assert evidence.ip_address == "203.0.113.7" and evidence.user_agent == "Firefox/140"
    assert evidence.document_sha256 == act.pdf_sha256
    assert act.pdf_sha256 in evidence.consent_text
    assert evidence.signed_at.utcoffset().total_seconds() == 0
    sealed = read(act.sealed_pdf)
    assert act.sealed_sha256 == evidence.sealed_sha256 == sha256_hex(sealed)
    assert sealed.startswith(read(act.pdf))  # an incremental update over the very bytes the client read
    with world_a.context():
        certificate = TenantCertificate.objects.get()
        assert Confirmation.objects.get(act=act).rating == 5
    assert evidence.certificate_fingerprint == certificate.fingerprint
    assert b"PRIVATE KEY" not in bytes(certificate.encrypted_key)


def test_the_sealed_pdf_validates_over_the_whole_document(sealed_pdf):
    check = check_seal(sealed_pdf["sealed"])
    assert check.signed and check.intact and check.valid and check.covers_whole_file
    assert check.reason.startswith(f"Act {sealed_pdf['number']} r1: signed by ")


def test_a_changed_byte_breaks_the_seal(sealed_pdf):
    altered = one_byte_changed(sealed_pdf["sealed"])
    check = check_seal(altered)
    assert check.signed and not check.valid


def test_verification_tells_genuine_altered_and_unknown_apart(world_a, django_capture_on_commit_callbacks):
    act = sign(world_a, sent_act(world_a, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    sealed = read(act.sealed_pdf)

    genuine = services.act_verify(pdf=sealed)
    assert genuine.verdict == Verdict.GENUINE
    assert genuine.act.pk == act.pk and genuine.tenant_name == world_a.tenant.name
    assert genuine.evidence.signer == world_a.client_signatory

    altered = services.act_verify(pdf=one_byte_changed(sealed))
    assert altered.verdict == Verdict.ALTERED and altered.act.pk == act.pk

    appended = services.act_verify(pdf=sealed + b"\n% appended after sealing\n")
    assert appended.verdict == Verdict.ALTERED

    assert services.act_verify(pdf=read(act.pdf)).verdict == Verdict.UNKNOWN  # the unsealed original
    assert services.act_verify(pdf=b"%PDF-1.7 nonsense").verdict == Verdict.UNKNOWN


def test_signing_with_an_emailed_code(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with world_a.context(user=world_a.client_signatory), django_capture_on_commit_callbacks(execute=True):
        services.signing_code_send(act=act, actor=world_a.client_signatory)
    (message,) = mail.outbox
    code = next(word for word in message.body.replace(".", " ").split() if word.isdigit() and len(word) == 6)
    with world_a.context():
        assert code not in SigningCode.objects.get().code_hash
    with pytest.raises(DomainError) as wrong:
        sign(world_a, act, django_capture_on_commit_callbacks, method="email_code", code="000000" if code != "000000" else "111111")
    assert wrong.value.field == "code"
    with world_a.context():
        assert SigningCode.objects.get().attempts == 1
    act = sign(world_a, act, django_capture_on_commit_callbacks, method="email_code", code=code)
    assert act.state == ActState.SIGNED and act.evidence.method == SignatureEvidence.Method.EMAIL_CODE


def test_five_wrong_codes_lock_signing_until_a_new_code_after_the_lockout(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    with world_a.context(user=world_a.client_signatory):
        services.signing_code_send(act=act, actor=world_a.client_signatory)
    for _ in range(5):
        with pytest.raises(DomainError):
            sign(world_a, act, django_capture_on_commit_callbacks, method="email_code", code="not-it")
    with pytest.raises(DomainError) as locked:
        sign(world_a, act, django_capture_on_commit_callbacks, method="email_code", code="not-it")
    assert locked.value.code == "locked_out"  # five wrong codes also lock the user's signing for a while
    with world_a.context(user=world_a.client_signatory), pytest.raises(DomainError) as no_new_code:
        services.signing_code_send(act=act, actor=world_a.client_signatory)
    assert no_new_code.value.code == "locked_out"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=True):
        with pytest.raises(DomainError) as spent:
            sign(world_a, act, django_capture_on_commit_callbacks, method="email_code", code="not-it")
        assert spent.value.code == "expired"  # that code is gone: ask for a new one
        mail.outbox.clear()
        with world_a.context(user=world_a.client_signatory), django_capture_on_commit_callbacks(execute=True):
            services.signing_code_send(act=act, actor=world_a.client_signatory)
        code = next(w for w in mail.outbox[0].body.replace(".", " ").split() if w.isdigit() and len(w) == 6)
        assert sign(world_a, act, django_capture_on_commit_callbacks, method="email_code", code=code).state \
            == ActState.SIGNED


def test_bad_signatures_change_nothing(world_a, django_capture_on_commit_callbacks):
    act = draft_act(world_a)
    with pytest.raises(TransitionRefused):
        sign(world_a, act, django_capture_on_commit_callbacks)  # not sent
    act = send(world_a, act, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as wrong:
        sign(world_a, act, django_capture_on_commit_callbacks, password="guess")
    assert wrong.value.field == "password"
    with pytest.raises(ActionForbidden):
        sign(world_a, act, django_capture_on_commit_callbacks, user=world_a.client_viewer)
    with pytest.raises(DomainError) as no_consent:
        sign(world_a, act, django_capture_on_commit_callbacks, consent=False)
    assert no_consent.value.field == "consent"
    with pytest.raises(DomainError) as out_of_range:
        sign(world_a, act, django_capture_on_commit_callbacks, rating=6)
    assert out_of_range.value.field == "rating"
    with pytest.raises(DomainError) as silent:
        sign(world_a, act, django_capture_on_commit_callbacks, rating=2)
    assert silent.value.field == "comment"
    act = reload(world_a, act)
    assert act.state == ActState.SENT
    with world_a.context():
        assert not Confirmation.objects.exists() and not SignatureEvidence.objects.exists()
    sign(world_a, act, django_capture_on_commit_callbacks)
    with pytest.raises(TransitionRefused):
        sign(world_a, act, django_capture_on_commit_callbacks)  # twice


def test_dispute_then_resend_makes_revision_two_with_a_new_hash(world_a, django_capture_on_commit_callbacks):
    act = sent_act(world_a, django_capture_on_commit_callbacks)
    first_hash = act.pdf_sha256
    with pytest.raises(DomainError):
        with world_a.context(user=world_a.client_signatory):
            services.act_dispute(act=act, actor=world_a.client_signatory, reason="  ")
    with world_a.context(user=world_a.client_signatory):
        services.act_dispute(act=act, actor=world_a.client_signatory, reason="Line 1 is billed twice")
    act = reload(world_a, act)
    assert act.state == ActState.DISPUTED and act.dispute_reason == "Line 1 is billed twice"
    with world_a.context(user=world_a.account_manager):
        services.act_update(act=act, actor=world_a.account_manager, lines=[
            {"description": "Service desk, corrected", "quantity": 1, "unit_price": "200000.00"}])
    act = send(world_a, act, django_capture_on_commit_callbacks)
    assert act.state == ActState.SENT and act.revision == 2
    assert act.pdf_sha256 and act.pdf_sha256 != first_hash
    assert act.amount == Decimal("200000.00")
