"""Idempotent POSTs: reserve a key, store the answer, replay it; and purge what has expired.

A request carrying `Idempotency-Key` is fingerprinted (method, path with its query, and the parsed
body in a canonical form: JSON key order and whitespace, or a multipart boundary, do not matter;
files count by their content). `idempotency_begin` inserts the key's row first — the unique
constraint lets exactly one of any number of concurrent requests through, committed at once so the
others see it — and tells the others apart: same request and an answer stored → the answer again;
same request still running → 409; another request under the same key → 422. The request that got
the row answers, and `idempotency_finish` stores the answer (status, Content-Type, Location,
Content-Disposition, body) unless it is a 5xx, in which case the row goes, as it does when the
request raises (`idempotency_release`): a retry then runs the work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from tenancy.models import ApiKey

from .models import MAX_KEY_LENGTH, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "Location", "Content-Disposition")


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_flight"
    default_detail = _("A request with this Idempotency-Key is still being processed; retry when it has finished.")


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used for a different request; use a new key.")


class Replay(Exception):  # noqa: N818 — not an error: the stored answer, raised past the view
    """Raised by the API hook to answer with a stored response instead of running the view."""

    def __init__(self, response: HttpResponse):
        super().__init__("replay")
        self.response = response


def idempotency_key_of(request) -> str | None:
    """The request's `Idempotency-Key`, or None without one; a 400 naming the header when it is
    empty, longer than 255 characters or not printable ASCII."""
    raw = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if raw is None:
        return None
    if raw == "":
        problem = str(_("The Idempotency-Key header is empty: send a unique value, e.g. a UUID."))
    elif len(raw) > MAX_KEY_LENGTH:
        problem = _("The Idempotency-Key header is longer than %(max)d characters.") % {"max": MAX_KEY_LENGTH}
    elif not all("!" <= char <= "~" for char in raw):
        problem = str(_("The Idempotency-Key header may hold only printable ASCII characters without spaces."))
    else:
        return raw
    raise exceptions.ValidationError({HEADER: [problem]})


def idempotency_owner(request) -> str | None:
    """Whose keys these are: the API key's, or the signed-in user's; None for anonymous requests."""
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _canonical(value):
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "content_type": value.content_type, "sha256": digest.hexdigest()}
    if isinstance(value, MultiValueDict):
        return {str(k): [_canonical(v) for v in values] for k, values in value.lists()}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_fingerprint(request) -> str:
    """SHA-256 of the method, the path with its query string and the parsed body."""
    body = json.dumps(_canonical(request.data), sort_keys=True, separators=(",", ":"), default=str)
    text = "\n".join([request.method, request._request.get_full_path(), body])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status_code)
    for name, value in row.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_begin(*, owner: str, key: str, request_hash: str) -> IdempotencyKey:
    """Reserve `key` for this request and return its row; or raise `Replay` with the stored answer,
    `KeyInFlight` (409) or `KeyReused` (422). Runs in the current tenant."""
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    owner=owner, key=key, request_hash=request_hash, created_at=now,
                    expires_at=now + dt.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
                )
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if existing is None:
            continue  # its request failed and let it go meanwhile: take it
        abandoned = existing.in_flight and existing.created_at <= now - dt.timedelta(
            seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS)
        if existing.expires_at <= now or abandoned:
            # compare-and-delete: only the row we looked at, so two retries cannot both take the key
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_hash != request_hash:
            raise KeyReused
        if existing.in_flight:
            raise KeyInFlight
        raise Replay(_replay(existing))
    raise KeyInFlight


def idempotency_finish(row: IdempotencyKey, response) -> None:
    """Store the answer of the request that held `row`; a 5xx or a streamed answer is not stored
    (the row goes, and a retry runs the work)."""
    if response.status_code >= 500 or getattr(response, "streaming", False):
        idempotency_release(row)
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status_code=response.status_code, headers=headers, body=bytes(response.content),
    )


def idempotency_release(row: IdempotencyKey) -> None:
    """Let the key go: its request raised or answered 5xx."""
    IdempotencyKey.objects.filter(pk=row.pk).delete()


def idempotency_purge_expired() -> int:
    """Delete the current tenant's keys past their expiry (a lookup ignores them already)."""
    deleted, _by_model = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
