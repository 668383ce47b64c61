"""Writes of the tenancy app: tenants, memberships, API keys."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .context import tenant_context
from .errors import ActionForbidden, DomainError
from .models import ApiKey, Membership, Tenant
from .roles import CLIENT_ROLES, TENANT_ADMINS, Role, has_role
from .signals import tenant_created

API_KEY_PREFIX = "ck"


@transaction.atomic
def tenant_create(*, name: str, slug: str = "", vat_rate=None, time_zone: str = "Europe/Moscow",
                  own_provider_name: str = "") -> Tenant:
    """A provider organisation. `tenant_created` is sent in the transaction: contracts gives the
    tenant its own Provider row (named `own_provider_name`, else the tenant's name) so contracts can
    name it."""
    tenant = Tenant.objects.create(
        name=name, slug=slug or slugify(name)[:60], time_zone=time_zone,
        **({"vat_rate": vat_rate} if vat_rate is not None else {}),
    )
    tenant_created.send(sender=Tenant, tenant=tenant, own_provider_name=own_provider_name or name)
    return tenant


@transaction.atomic
def tenant_legal_details_update(*, tenant: Tenant, actor, **values) -> Tenant:
    """The tenant's legal name and details (`tenancy.legal`), by one of its administrators; each field
    validated on its own and against the others (a DomainError naming the field otherwise)."""
    from django.core.exceptions import ValidationError

    from .legal import LEGAL_FIELDS

    if not has_role(actor, TENANT_ADMINS, tenant.pk):
        raise ActionForbidden(_("Only an administrator may change the organisation's details."))
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    names = ("legal_name", *LEGAL_FIELDS)
    for name in names:
        if name in values:
            setattr(tenant, name, values[name] if values[name] is not None else "")
    try:
        tenant.full_clean(exclude=[f.name for f in Tenant._meta.fields if f.name not in names])
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        error = DomainError(errors[0], field=None if field == "__all__" else field, code="invalid")
        error.field_errors = exc.message_dict
        raise error from exc
    tenant.save(update_fields=list(names))
    return tenant


@transaction.atomic
def membership_create(*, tenant: Tenant, user, role: str, client=None) -> Membership:
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    if (role in CLIENT_ROLES) != (client is not None):
        raise DomainError(_("Client roles need a client; provider roles must not have one."), field="client")
    with tenant_context(tenant):
        return Membership.objects.create(user=user, role=role, client=client)


@transaction.atomic
def api_key_create(*, actor, name: str, scopes: list[str], expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create a key for the current tenant; returns the row and the raw key, shown only once."""
    if not has_role(actor, TENANT_ADMINS):
        raise ActionForbidden(_("Only an administrator may manage API keys."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Name the key, e.g. after the system that will use it."), field="name", code="required")
    scopes = sorted(set(scopes or []))
    if not scopes or any(s not in ApiKey.Scope.values for s in scopes):
        raise DomainError(_("Choose read, write or both."), field="scopes", code="invalid")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry must be in the future."), field="expires_at", code="invalid")
    key = ApiKey(name=name, scopes=scopes, created_by=actor, expires_at=expires_at)
    secret = secrets.token_urlsafe(32)
    key.save()  # tenant from the context
    raw = f"{API_KEY_PREFIX}_{key.tenant_id}_{secret}"
    key.prefix = f"{API_KEY_PREFIX}_{key.tenant_id}_{secret[:6]}"
    key.key_hash = ApiKey.hash_key(raw)
    key.save(update_fields=["prefix", "key_hash"])
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor, key: ApiKey) -> ApiKey:
    if not has_role(actor, TENANT_ADMINS):
        raise ActionForbidden(_("Only an administrator may manage API keys."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def parse_api_key(raw: str) -> int | None:
    """The tenant id a raw key names, or None when it is not one of ours."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1])


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The usable key matching `raw`, looked up inside the tenant the key names (no escape)."""
    tenant_id = parse_api_key(raw)
    if tenant_id is None:
        return None
    with tenant_context(tenant_id):
        key = ApiKey.objects.select_related("created_by", "tenant").filter(key_hash=ApiKey.hash_key(raw)).first()
        if key is None or not key.is_usable:
            return None
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key


def notifications_mark_read(*, user, notification_ids=None) -> int:
    """Mark a user's unread notifications in the current tenant read (all, or those of the ids);
    compare-and-set, so marking twice changes nothing. Returns how many changed."""
    from .models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


def notify_users(users, *, kind: str, key: str, title, body, url: str, thread: str = "") -> int:
    """One in-app notification per user and event in the current tenant (unique per user and
    dedupe key, so a task run twice or a race tells nobody twice), and an e-mail to each newly told
    user, queued after commit (`tenancy.mail`; `thread` lets a reply by mail find the object).
    `None` users are skipped. Returns how many were told."""
    from .mail import mail_queue
    from .models import Notification

    title, body = str(title), str(body)
    told = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        try:
            with transaction.atomic():
                Notification.objects.create(user=user, kind=kind, title=title[:300], body=body, url=url,
                                            dedupe_key=key[:120])
        except IntegrityError:
            continue  # already told
        told += 1
        mail_queue(template="mail/notification", user=user, context={"title": title, "body": body}, url=url,
                   thread=thread)
    return told
