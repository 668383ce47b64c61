"""The tenants' seals: renewing a tenant's certificate, and re-encrypting its private keys under the
newest of `SEAL_KEYS` (see confirmations.seal_keys). Both work in the current tenant; the management
commands `renew_seal_certificate` and `rotate_seal_keys` run them tenant by tenant."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from .. import seal_keys
from ..models import TenantCertificate
from ..signing import renew_certificate

logger = logging.getLogger(__name__)


def certificate_renew() -> TenantCertificate:
    """A new current seal certificate for the current tenant; earlier ones keep verifying their seals."""
    certificate = renew_certificate()
    logger.info("Tenant %s: new seal certificate %s, valid until %s.", certificate.tenant_id,
                certificate.fingerprint, certificate.not_after.isoformat())
    return certificate


@dataclass
class SealKeyRotation:
    newest_key_id: str
    rotated: int = 0  # re-encrypted under the newest key (or would be, in a dry run)
    current: int = 0  # already under the newest key
    unreadable: list[str] = field(default_factory=list)  # fingerprints no configured key decrypts


def seal_keys_rotate(*, dry_run: bool = False) -> SealKeyRotation:
    """Re-encrypt every seal private key of the current tenant under the newest of SEAL_KEYS.

    All or nothing per tenant: if any key cannot be decrypted, nothing of the tenant changes and
    the report names it. Safe to run again (what is under the newest key already is left alone)."""
    report = SealKeyRotation(newest_key_id=seal_keys.newest_key_id())
    with transaction.atomic():
        rows = TenantCertificate.objects.select_for_update(of=("self",)).order_by("pk")
        updates = []
        for row in rows:
            try:
                plain, used = seal_keys.decrypt(bytes(row.encrypted_key), row.key_id)
            except seal_keys.SealKeyUnavailable:
                report.unreadable.append(row.fingerprint)
                continue
            if used == report.newest_key_id and row.key_id == used:
                report.current += 1
                continue
            report.rotated += 1
            updates.append((row.pk, plain))
        if dry_run or report.unreadable:
            return report
        for pk, plain in updates:
            key_id, token = seal_keys.encrypt(plain)
            TenantCertificate.objects.filter(pk=pk).update(encrypted_key=token, key_id=key_id)
    return report
