"""The endpoints' secrets at rest: encrypted under keys derived from the `SEAL_KEYS` setting.

Like the seal private keys (`confirmations.seal_keys`), with a derivation of their own: the newest
key encrypts, every listed key decrypts, each row names the id of the key that encrypted it.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnavailable(Exception):
    """No configured key opens the stored secret (its key was removed from SEAL_KEYS)."""


@lru_cache(maxsize=8)
def _derive(secret: str) -> tuple[str, Fernet]:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"integrations.webhooks",
               info=b"Endpoint.secret_token").derive(secret.encode())
    return hashlib.sha256(b"webhook-key-id\0" + key).hexdigest()[:16], Fernet(base64.urlsafe_b64encode(key))


def _keys() -> list[tuple[str, Fernet]]:
    secrets = [s for s in getattr(settings, "SEAL_KEYS", None) or [settings.SECRET_KEY] if s]
    return [_derive(secret) for secret in secrets]


def encrypt(plain: str) -> tuple[str, str]:
    """(key id, token) of `plain` under the newest key."""
    key_id, fernet = _keys()[0]
    return key_id, fernet.encrypt(plain.encode()).decode()


def decrypt(token: str, key_id: str = "") -> str:
    for _kid, fernet in sorted(_keys(), key=lambda k: k[0] != key_id):
        try:
            return fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            continue
    raise SecretUnavailable(f"The webhook secret was encrypted with key {key_id or '?'}, not in SEAL_KEYS.")
