"""Standard Webhooks 1.0 (https://www.standardwebhooks.com/): sign and verify a webhook.

Standalone on purpose: the standard library only, no Django. A receiver may copy this file as it
is to check what the platform sends:

    from standard_webhooks import verify, WebhookVerificationError

    try:
        payload = verify(secret="whsec_…", headers=request.headers, body=request.body)
    except WebhookVerificationError:
        return 400

Each delivery carries three headers:

- `webhook-id`: the message's id, the same on every retry (use it to ignore a repeat);
- `webhook-timestamp`: Unix seconds of this attempt;
- `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256>` of `"{id}.{timestamp}.{body}"`,
  keyed with the base64-decoded part of the secret after `whsec_`. While a secret is being rotated
  there are two: one per secret, and either one matching is enough.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as _random
import time
from collections.abc import Iterable, Mapping

PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(Exception):
    """The headers are missing, the timestamp is too old or too new, or no signature matches."""


def generate_secret(nbytes: int = 24) -> str:
    """A new secret, `whsec_` + base64 of random bytes."""
    return PREFIX + base64.b64encode(_random.token_bytes(nbytes)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise WebhookVerificationError("The secret is not base64 after whsec_.") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """`v1,<base64 signature>` of one message under one secret."""
    if isinstance(body, str):
        body = body.encode()
    content = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets: str | Iterable[str], msg_id: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """The three headers of one delivery attempt, signed with each secret given."""
    secret_list = [secrets] if isinstance(secrets, str) else list(secrets)
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret, msg_id, timestamp, body) for secret in secret_list),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> dict:
    """The JSON payload, once the signature and the timestamp check out; else WebhookVerificationError."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature.")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer.") from exc
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance.")
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)
    raise WebhookVerificationError("No signature matches.")
