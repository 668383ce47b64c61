"""Every write of webhooks: endpoints (create, change, rotate the secret, delete), queueing an
occurrence to the endpoints that want it, one delivery attempt, replaying, the test event.

Who: a tenant administrator manages every endpoint of the tenant (they receive every client's
events); a client administrator manages their client's endpoints only, which receive the events of
that client's objects that the client sees in the portal.

Delivery: a `Delivery` row per endpoint and occurrence (unique, so a signal heard twice queues once)
is written in the transaction that records the event, and the task is queued after commit. Each
attempt is claimed by a compare-and-set on the row, so the countdown task and the beat task
`deliver_due` never send the same attempt twice. After a failure the next attempt is due after
`RETRY_SCHEDULE[tries - 1]`; waits up to `COUNTDOWN_MAX` are a task countdown, longer ones are
found by the beat (settings.py: no task may be held longer than the broker's visibility timeout).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy.context import current_tenant_id, require_tenant_id
from tenancy.effects import on_commit_task
from tenancy.errors import ActionForbidden, DomainError
from tenancy.models import Membership, Tenant
from tenancy.roles import Role, membership_of
from tenancy.services import notify_users

from . import crypto, standard_webhooks, transport
from .catalog import CLIENT_EVENT_TYPES, TEST_EVENT, EventType, Occurrence
from .models import Attempt, Delivery, DeliveryState, Endpoint

logger = logging.getLogger(__name__)

RETRY_SCHEDULE = (
    dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
    dt.timedelta(hours=5), dt.timedelta(hours=10), dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
COUNTDOWN_MAX = dt.timedelta(minutes=10)
LEASE = dt.timedelta(seconds=60)  # an attempt claimed and not finished by then (a dead worker) is due again
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 7 * 24
MAX_ENDPOINTS = 20  # per tenant, and per client
DESCRIPTION_MAX = 200
URL_MAX = 2000


def disable_after() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "WEBHOOK_DISABLE_AFTER_DAYS", 5)))


# --- who ---------------------------------------------------------------------------------------


def manager_scope(actor) -> int | None:
    """None for a tenant administrator (every endpoint), the client's id for a client administrator
    (their client's endpoints); anyone else is refused."""
    membership = membership_of(actor, current_tenant_id())
    if membership is not None and membership.role == Role.ADMIN:
        return None
    if membership is not None and membership.role == Role.CLIENT_ADMIN and membership.client_id:
        return membership.client_id
    raise ActionForbidden(_("Only administrators manage webhooks."))


def may_manage(actor) -> bool:
    try:
        manager_scope(actor)
    except ActionForbidden:
        return False
    return True


def _check_scope(actor, endpoint: Endpoint) -> None:
    client_id = manager_scope(actor)
    if client_id is not None and endpoint.client_id != client_id:
        raise ActionForbidden(_("Only administrators manage webhooks."))


# --- input -------------------------------------------------------------------------------------


def allowed_event_types(client_id: int | None) -> list[str]:
    return [value for value in EventType.values if client_id is None or value in CLIENT_EVENT_TYPES]


def _clean_event_types(event_types, client_id: int | None) -> list[str]:
    if not isinstance(event_types, (list, tuple)) or not event_types:
        raise DomainError(_("Choose at least one event type."), field="event_types", code="required")
    allowed = allowed_event_types(client_id)
    unknown = [str(value) for value in event_types if value not in allowed]
    if unknown:
        raise DomainError(_("Unknown event type: %(types)s.") % {"types": ", ".join(unknown)[:200]},
                          field="event_types", code="invalid_choice")
    return [value for value in allowed if value in event_types]


def _clean_url(url: str, tenant) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError(_("Enter the URL."), field="url", code="required")
    if len(url) > URL_MAX:
        raise DomainError(_("The URL is too long."), field="url", code="max_length")
    allow_private = transport.private_allowed(tenant)
    try:
        transport.target_of(url, allow_private=allow_private)
    except transport.UrlRefused as refused:
        raise DomainError(refused.message, field="url", code=refused.code) from None
    location = transport.redirect_of(url, allow_private=allow_private)
    if location is not None:
        raise DomainError(_("The URL redirects (to %(location)s); deliveries do not follow redirects, register "
                            "the final address.") % {"location": location[:200]}, field="url", code="redirect")
    return url


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(_("At most %(n)s characters.") % {"n": DESCRIPTION_MAX}, field="description",
                          code="max_length")
    return description


def _new_secret(endpoint: Endpoint) -> str:
    secret = standard_webhooks.generate_secret()
    endpoint.secret_key_id, endpoint.secret_token = crypto.encrypt(secret)
    endpoint.secret_revealed_at = None
    return secret


def endpoint_secrets(endpoint: Endpoint, *, now: dt.datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one during its
    overlap."""
    now = now or timezone.now()
    secrets = [crypto.decrypt(endpoint.secret_token, endpoint.secret_key_id)]
    if endpoint.previous_secret_token and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(crypto.decrypt(endpoint.previous_secret_token, endpoint.previous_secret_key_id))
    return secrets


# --- endpoints -----------------------------------------------------------------------------------


@transaction.atomic
def endpoint_create(*, actor, url: str, event_types, description: str = "") -> Endpoint:
    """A new endpoint with a new secret; `secret_reveal` shows the secret, once."""
    client_id = manager_scope(actor)
    tenant = Tenant.objects.get(pk=require_tenant_id())
    event_types = _clean_event_types(event_types, client_id)
    description = _clean_description(description)
    url = _clean_url(url, tenant)
    if Endpoint.objects.filter(client_id=client_id).count() >= MAX_ENDPOINTS:  # type: ignore[misc]  # None: IS NULL
        raise DomainError(_("At most %(n)s endpoints.") % {"n": MAX_ENDPOINTS}, code="too_many")
    endpoint = Endpoint(url=url, description=description, event_types=event_types, client_id=client_id,
                        created_by=actor)
    _new_secret(endpoint)
    endpoint.save()
    return endpoint


def secret_reveal(*, endpoint: Endpoint, actor) -> str | None:
    """The endpoint's current secret the first time it is asked for, None ever after (a reload of
    the page that shows it, a second API read): compare-and-set on `secret_revealed_at`."""
    _check_scope(actor, endpoint)
    shown = Endpoint.objects.filter(pk=endpoint.pk, secret_revealed_at__isnull=True,
                                    secret_token=endpoint.secret_token).update(secret_revealed_at=timezone.now())
    if not shown:
        return None
    return crypto.decrypt(endpoint.secret_token, endpoint.secret_key_id)


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, actor, url: str | None = None, event_types=None,
                    description: str | None = None, is_active: bool | None = None) -> Endpoint:
    _check_scope(actor, endpoint)
    endpoint = Endpoint.objects.select_for_update(of=("self",)).get(pk=endpoint.pk)
    if event_types is not None:
        endpoint.event_types = _clean_event_types(event_types, endpoint.client_id)
    if description is not None:
        endpoint.description = _clean_description(description)
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = _clean_url(url, endpoint.tenant)
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        endpoint.disabled_at = None if is_active else timezone.now()
        endpoint.disabled_reason = "" if is_active else _("Disabled by %(who)s.") % {
            "who": actor.get_full_name() or actor.get_username()}
        endpoint.failing_since = None
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint, actor, overlap_hours: int = DEFAULT_OVERLAP_HOURS) -> Endpoint:
    """A new secret; the old one keeps signing beside it for `overlap_hours` (0: at once retired)."""
    _check_scope(actor, endpoint)
    if not isinstance(overlap_hours, int) or isinstance(overlap_hours, bool) or not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise DomainError(_("Between 0 and %(n)s hours.") % {"n": MAX_OVERLAP_HOURS}, field="overlap_hours",
                          code="invalid")
    endpoint = Endpoint.objects.select_for_update(of=("self",)).get(pk=endpoint.pk)
    if overlap_hours:
        endpoint.previous_secret_token = endpoint.secret_token
        endpoint.previous_secret_key_id = endpoint.secret_key_id
        endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret_token = endpoint.previous_secret_key_id = ""
        endpoint.previous_secret_expires_at = None
    _new_secret(endpoint)
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, actor) -> None:
    _check_scope(actor, endpoint)
    endpoint.delete()


# --- queueing ------------------------------------------------------------------------------------


def _body(event_type: str, data: dict, at: dt.datetime) -> str:
    payload = {"type": event_type, "timestamp": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
               "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


def _enqueue_after_commit(tenant_id: int, delivery_ids: list[int], *, using: str | None = None) -> None:
    from .tasks import deliver

    for delivery_id in delivery_ids:
        on_commit_task(deliver, tenant_id, delivery_id, using=using)


def _new_delivery(endpoint: Endpoint, *, event_type: str, event_key: str, body: str, now) -> Delivery | None:
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                tenant_id=endpoint.tenant_id, endpoint=endpoint, message_id=f"msg_{uuid.uuid4().hex}",
                event_type=event_type, event_key=event_key, body=body, next_attempt_at=now)
    except IntegrityError:
        return None  # already queued to this endpoint: the signal was heard twice


def wants(endpoint: Endpoint, occurrence: Occurrence) -> bool:
    if occurrence.type not in endpoint.event_types:
        return False
    if endpoint.client_id is None:
        return True
    return (occurrence.client_visible and occurrence.client_id == endpoint.client_id
            and occurrence.type in CLIENT_EVENT_TYPES)


def occurrence_queue(occurrence: Occurrence, *, tenant_id: int, using: str | None = None) -> list[Delivery]:
    """One delivery per active endpoint of the tenant that wants `occurrence`, sent after commit."""
    endpoints = [endpoint for endpoint in Endpoint.objects.filter(tenant_id=tenant_id, is_active=True)
                 if wants(endpoint, occurrence)]
    if not endpoints:
        return []
    now = timezone.now()
    body = _body(occurrence.type, occurrence.data(), now)
    created = [delivery for endpoint in endpoints
               if (delivery := _new_delivery(endpoint, event_type=occurrence.type, event_key=occurrence.key,
                                             body=body, now=now)) is not None]
    _enqueue_after_commit(tenant_id, [delivery.pk for delivery in created], using=using)
    return created


@transaction.atomic
def endpoint_send_test(*, endpoint: Endpoint, actor) -> Delivery:
    """A `webhook.test` event to this endpoint now, whatever it subscribes to."""
    _check_scope(actor, endpoint)
    if not endpoint.is_active:
        raise DomainError(_("The endpoint is disabled: enable it first."), code="endpoint_disabled")
    now = timezone.now()
    body = _body(TEST_EVENT, {"endpoint_id": endpoint.pk, "message": "Test event"}, now)
    delivery = _new_delivery(endpoint, event_type=TEST_EVENT, event_key=f"test:{uuid.uuid4().hex}", body=body,
                             now=now)
    assert delivery is not None  # a new event key never meets an earlier delivery
    _enqueue_after_commit(endpoint.tenant_id, [delivery.pk])
    return delivery


@transaction.atomic
def delivery_replay(*, delivery: Delivery, actor) -> Delivery:
    """Send a delivery again (same webhook-id and body, fresh signatures), with a fresh retry run."""
    _check_scope(actor, delivery.endpoint)
    if not delivery.endpoint.is_active:
        raise DomainError(_("The endpoint is disabled: enable it first."), code="endpoint_disabled")
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.PENDING, tries=0,
                                                   next_attempt_at=timezone.now())
    _enqueue_after_commit(delivery.tenant_id, [delivery.pk])
    delivery.refresh_from_db()
    return delivery


# --- delivering ----------------------------------------------------------------------------------


def delivery_attempt(*, delivery_id: int) -> Attempt | None:
    """One attempt of a due delivery (None if it is not due, done, or another worker has it)."""
    now = timezone.now()
    delivery = Delivery.objects.select_related("endpoint", "endpoint__tenant").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING or delivery.next_attempt_at is None \
            or delivery.next_attempt_at > now:
        return None
    claimed = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING, tries=delivery.tries,
                                      next_attempt_at=delivery.next_attempt_at).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, next_attempt_at=None)
        return Attempt.objects.create(tenant_id=delivery.tenant_id, delivery=delivery, at=now,
                                      error=_("The endpoint is disabled."))
    body = delivery.body.encode()
    try:
        secrets = endpoint_secrets(endpoint, now=now)
    except crypto.SecretUnavailable:
        logger.exception("Webhook endpoint %s: its secret cannot be decrypted", endpoint.pk)
        answer = transport.Answer(status=None, excerpt="", duration_ms=0,
                                  error=_("The signing secret cannot be decrypted: rotate it."))
    else:
        headers = standard_webhooks.headers(secrets, delivery.message_id, body, timestamp=int(now.timestamp()))
        answer = transport.send(endpoint.url, body=body, headers=headers,
                                allow_private=transport.private_allowed(endpoint.tenant))
    return _record_answer(delivery, endpoint, answer, at=now)


@transaction.atomic
def _record_answer(delivery: Delivery, endpoint: Endpoint, answer: transport.Answer, *, at: dt.datetime) -> Attempt:
    attempt = Attempt.objects.create(tenant_id=delivery.tenant_id, delivery=delivery, at=at,
                                     duration_ms=answer.duration_ms, status_code=answer.status, ok=answer.ok,
                                     error=answer.error, response_excerpt=answer.excerpt)
    tries = delivery.tries + 1
    fields: dict[str, object] = {"tries": tries, "last_status": answer.status}
    if answer.ok:
        fields.update(state=DeliveryState.DELIVERED, delivered_at=at, next_attempt_at=None)
        Endpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
    elif tries >= MAX_ATTEMPTS:
        fields.update(state=DeliveryState.FAILED, next_attempt_at=None)
    else:
        wait = RETRY_SCHEDULE[tries - 1]
        fields.update(next_attempt_at=at + wait)
        if wait <= COUNTDOWN_MAX:
            from .tasks import deliver

            on_commit_task(deliver, delivery.tenant_id, delivery.pk, countdown=wait.total_seconds())
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    if not answer.ok:
        _note_failure(endpoint, at=at)
    return attempt


def _note_failure(endpoint: Endpoint, *, at: dt.datetime) -> None:
    Endpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=at)
    endpoint.refresh_from_db(fields=["failing_since", "is_active"])
    if endpoint.is_active and endpoint.failing_since is not None and endpoint.failing_since <= at - disable_after():
        endpoint_disable_failing(endpoint=endpoint, at=at)


def endpoint_disable_failing(*, endpoint: Endpoint, at: dt.datetime) -> bool:
    """Disable an endpoint that has failed for `WEBHOOK_DISABLE_AFTER_DAYS` and tell its administrators."""
    days = disable_after().days
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Every delivery failed for %(days)s days.") % {"days": days}
        title = _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url[:200]}
        text = _("%(reason)s Fix the receiver, then enable the endpoint again and replay what it missed.") % {
            "reason": reason}
    disabled = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=at, disabled_reason=reason)
    if not disabled:
        return False
    admins = Membership.objects.filter(is_active=True).select_related("user")
    if endpoint.client_id is None:
        admins = admins.filter(role=Role.ADMIN)
    else:
        admins = admins.filter(role=Role.CLIENT_ADMIN, client_id=endpoint.client_id)
    with transaction.atomic():
        notify_users([membership.user for membership in admins], kind="webhook_disabled",
                     key=f"webhook:{endpoint.pk}:disabled:{int(at.timestamp())}", title=title, body=text,
                     url=f"/webhooks/{endpoint.pk}/")
    return True


def deliveries_due(*, limit: int = 500) -> int:
    """Queue the current tenant's deliveries whose attempt is due (their task was lost, or they wait
    longer than a countdown may). Returns how many were queued."""
    from .tasks import deliver

    now = timezone.now()
    due = list(Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("tenant_id", "pk")[:limit])
    for tenant_id, pk in due:
        deliver.delay(tenant_id, pk)
    return len(due)
