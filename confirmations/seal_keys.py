"""The keys that encrypt the tenants' seal private keys: the `SEAL_KEYS` setting, newest first.

Each secret in the list becomes a Fernet key by HKDF (the same derivation as before the list
existed, so an install whose only key is its SECRET_KEY reads its old rows unchanged). A key is
named by a short id derived from it (not reversible); each `TenantCertificate` row stores the id of
the key that encrypted it. The newest key encrypts; every listed key decrypts. Rotating: put a new
secret first in SEAL_KEYS, run `manage.py rotate_seal_keys`, then drop the old secret.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SealKeyUnavailable(Exception):
    """No key in SEAL_KEYS decrypts this row: the key it was encrypted with has been removed."""


@dataclass(frozen=True)
class SealKey:
    key_id: str
    fernet: Fernet


@lru_cache(maxsize=8)
def _derive(secret: str) -> SealKey:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"confirmations.tenant-seal",
               info=b"TenantCertificate.encrypted_key").derive(secret.encode())
    key_id = hashlib.sha256(b"seal-key-id\0" + key).hexdigest()[:16]
    return SealKey(key_id=key_id, fernet=Fernet(base64.urlsafe_b64encode(key)))


def seal_keys() -> list[SealKey]:
    """The configured keys, newest first."""
    secrets = [s for s in getattr(settings, "SEAL_KEYS", None) or [settings.SECRET_KEY] if s]
    if not secrets:
        raise ImproperlyConfigured("SEAL_KEYS is empty: list at least one secret.")
    return [_derive(secret) for secret in secrets]


def newest_key_id() -> str:
    return seal_keys()[0].key_id


def encrypt(data: bytes) -> tuple[str, bytes]:
    """(key id, token) of `data` under the newest key."""
    key = seal_keys()[0]
    return key.key_id, key.fernet.encrypt(data)


def decrypt(token: bytes, key_id: str = "") -> tuple[bytes, str]:
    """(plain bytes, id of the key that opened it): the key named `key_id` first, then the others
    (a row written before key ids existed names none)."""
    keys = seal_keys()
    for key in sorted(keys, key=lambda k: k.key_id != key_id):
        try:
            return key.fernet.decrypt(token), key.key_id
        except InvalidToken:
            continue
    named = f"key {key_id}" if key_id else "an unnamed key"
    raise SealKeyUnavailable(f"Encrypted with {named}, which is not in SEAL_KEYS ({len(keys)} keys configured).")
