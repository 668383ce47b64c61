"""Seal keys under SEAL_KEYS (newest first, each row naming its key) can be rotated with
`manage.py rotate_seal_keys`; a tenant's certificate can be renewed, and seals made under the old
one still verify."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from confirmations import seal_keys, services
from confirmations.models import TenantCertificate
from confirmations.services import Verdict
from confirmations.signing import check_seal

from .support import read, sent_act, sign

pytestmark = pytest.mark.django_db


def sealed_act(world, capture):
    return sign(world, sent_act(world, capture), capture)


def certificates(world):
    with world.context():
        return list(TenantCertificate.objects.order_by("created_at", "id"))


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_without_seal_keys_the_secret_key_reads_what_it_encrypted_before(settings):
    """Rows written before SEAL_KEYS existed were encrypted with a key derived from SECRET_KEY."""
    settings.SEAL_KEYS = [settings.SECRET_KEY]
    legacy = Fernet(base64.urlsafe_b64encode(HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"confirmations.tenant-seal",
        info=b"TenantCertificate.encrypted_key").derive(settings.SECRET_KEY.encode())))
    plain, key_id = seal_keys.decrypt(legacy.encrypt(b"the private key"))
    assert plain == b"the private key" and key_id == seal_keys.newest_key_id()


def test_keys_rotate_and_old_seals_still_verify(world_a, world_b, settings, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settings.SEAL_KEYS = ["the-old-secret-of-the-seal-keys"]
    old_id = seal_keys.newest_key_id()
    before = [sealed_act(world, capture) for world in (world_a, world_b)]
    assert [c.key_id for c in certificates(world_a)] == [old_id]

    settings.SEAL_KEYS = ["a-brand-new-secret-for-the-seals", "the-old-secret-of-the-seal-keys"]
    new_id = seal_keys.newest_key_id()
    assert new_id != old_id
    assert sealed_act(world_a, capture).sealed_sha256  # both keys listed: old rows still open
    with pytest.raises(CommandError, match="not under the newest key"):
        run("rotate_seal_keys", "--check")
    assert "Re-encrypted 2 seal key(s)" in run("rotate_seal_keys")
    assert [c.key_id for w in (world_a, world_b) for c in certificates(w)] == [new_id, new_id]
    assert "Re-encrypted 0 seal key(s)" in run("rotate_seal_keys")  # again: nothing left to do
    assert "All 2 seal key(s) are under the newest key" in run("rotate_seal_keys", "--check")

    settings.SEAL_KEYS = ["a-brand-new-secret-for-the-seals"]  # the old secret is gone
    after = sealed_act(world_a, capture)
    assert check_seal(read(after.sealed_pdf)).signed
    for act in [*before, after]:
        assert services.act_verify(pdf=read(act.sealed_pdf)).verdict == Verdict.GENUINE


def test_rotation_refuses_and_changes_nothing_when_a_key_is_missing(world_a, settings, django_capture_on_commit_callbacks):
    settings.SEAL_KEYS = ["the-old-secret-of-the-seal-keys"]
    sealed_act(world_a, django_capture_on_commit_callbacks)
    [row] = certificates(world_a)
    settings.SEAL_KEYS = ["a-brand-new-secret-for-the-seals"]  # the old one forgotten
    with pytest.raises(CommandError) as refused:
        run("rotate_seal_keys")
    message = str(refused.value)
    assert "cannot be decrypted" in message and world_a.tenant.slug in message and "Nothing was changed" in message
    [unchanged] = certificates(world_a)
    assert bytes(unchanged.encrypted_key) == bytes(row.encrypted_key) and unchanged.key_id == row.key_id


def test_a_renewed_certificate_seals_from_then_on_and_old_seals_still_verify(world_a, world_b, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first = sealed_act(world_a, capture)
    other_tenant = sealed_act(world_b, capture)
    output = run("renew_seal_certificate", "--tenant", world_a.tenant.slug)
    assert world_a.tenant.slug in output
    old, new = certificates(world_a)
    assert not old.is_current and old.replaced_at and new.is_current and new.fingerprint != old.fingerprint
    assert [c.is_current for c in certificates(world_b)] == [True]  # only the tenant named
    second = sealed_act(world_a, capture)
    assert first.evidence.certificate_fingerprint == old.fingerprint
    assert second.evidence.certificate_fingerprint == new.fingerprint
    for act in (first, second, other_tenant):
        assert services.act_verify(pdf=read(act.sealed_pdf)).verdict == Verdict.GENUINE
    # a seal of the old certificate with a byte changed is still caught
    data = read(first.sealed_pdf)
    assert services.act_verify(pdf=data[:-3] + b"x" + data[-2:]).verdict == Verdict.ALTERED
    # never two current certificates in one tenant
    with world_a.context(), pytest.raises(IntegrityError), transaction.atomic():
        TenantCertificate.objects.filter(pk=old.pk).update(is_current=True)
    run("renew_seal_certificate", "--all")
    assert [len(certificates(w)) for w in (world_a, world_b)] == [3, 2]


def test_renewal_needs_tenants_named(world_a):
    with pytest.raises(CommandError, match="--tenant"):
        run("renew_seal_certificate")
    with pytest.raises(CommandError, match="no-such-tenant"):
        run("renew_seal_certificate", "--tenant", "no-such-tenant")
