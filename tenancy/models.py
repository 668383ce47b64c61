"""Tenants, memberships, API keys and the tenant-owned base every domain table inherits."""

from __future__ import annotations

import hashlib
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .context import (
    NoTenantSelected,
    TenantMismatch,
    current_tenant_id,
    is_cross_tenant,
)
from .legal import LegalDetails
from .roles import CLIENT_ROLES, Role


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone “%(value)s”."), params={"value": value}, code="invalid")


class Tenant(LegalDetails):
    """One provider organisation. Not tenant-owned itself. Its legal details (`tenancy.legal`) are
    what its documents print as the supplier's, unless its own provider row has its own."""

    class Vat(models.TextChoices):
        # VAT rates a Russian provider may charge; the default is the general rate since 2026-01-01.
        STANDARD = "22.00", _("22 %")
        REDUCED = "10.00", _("10 %")
        ZERO = "0.00", _("0 % / not liable")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    currency = models.CharField(_("default currency"), max_length=3, default="RUB")
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, default=Decimal("22.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails its users receive."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def today(self):
        """Today's date where the provider works (contract dates are in its time zone)."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))


class TenantManager(models.Manager):
    """Scopes every query to the current tenant and raises when there is none (fails closed)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if is_cross_tenant():
            return queryset
        tenant_id = current_tenant_id()
        if tenant_id is None:
            raise NoTenantSelected(
                f"{self.model.__name__} queried with no current tenant; "
                "use tenant_context() (or cross_tenant() in a sweep or migration)."
            )
        return queryset.filter(tenant_id=tenant_id)


class TenantOwned(models.Model):
    """Abstract base of every tenant-owned table: the tenant column and the scoped manager.

    Migrations creating such a table add `tenancy.rls.EnableRowLevelSecurity` for it.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, editable=False, related_name="+", verbose_name=_("tenant")
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        tenant_id = current_tenant_id()
        if self.tenant_id is None:
            if tenant_id is None:
                raise NoTenantSelected(f"Cannot save {type(self).__name__} with no current tenant.")
            self.tenant_id = tenant_id
        elif tenant_id is not None and self.tenant_id != tenant_id and not is_cross_tenant():
            raise TenantMismatch(
                f"{type(self).__name__} of tenant {self.tenant_id} saved while tenant {tenant_id} is current."
            )
        super().save(*args, **kwargs)


class Membership(TenantOwned):
    """A user's place in a tenant: a provider role, or a client role tied to one client."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    client = models.ForeignKey(
        "contracts.Client", on_delete=models.CASCADE, null=True, blank=True,
        related_name="memberships", verbose_name=_("client"),
        help_text=_("Required for client roles, empty for provider roles."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TenantManager()
    _by_user = models.Manager()  # noqa: DJ012 — only through objects_for_user(), which filters by user

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["tenant__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_per_tenant"),
            models.CheckConstraint(
                name="membership_client_iff_client_role",
                condition=(
                    models.Q(role__in=sorted(r.value for r in CLIENT_ROLES), client__isnull=False)
                    | (~models.Q(role__in=sorted(r.value for r in CLIENT_ROLES)) & models.Q(client__isnull=True))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant_id}: {self.role}"

    @property
    def is_client_side(self) -> bool:
        return self.role in CLIENT_ROLES

    @classmethod
    def objects_for_user(cls, user):
        """A user's memberships in every tenant: scoped by user instead of tenant.

        On PostgreSQL the membership policy lets a row through when its user is the current user.
        """
        return cls._by_user.filter(user_id=user.pk)


class ApiKey(TenantOwned):
    """A tenant's key for the REST API. Only its SHA-256 is stored; the key is shown once."""

    class Scope(models.TextChoices):
        READ = "read", _("read")
        WRITE = "write", _("write")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
        help_text=_("The key acts with this user's role in the tenant."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(raw_key: str) -> str:
        # Keys carry 256 bits of randomness, so a fast hash is enough (no dictionary to attack).
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    def allows(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class Notification(TenantOwned):
    """An in-app notification for one user (the bell); emails go out beside it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=120, help_text="one notification per user and event")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key", "tenant"], name="notification_once")]
        indexes = [
            # a user's bell, newest first; and the unread count every page shows, which reads the
            # unread rows only, however many a user has read over the years
            models.Index(fields=["tenant", "user", "-created_at", "-id"], name="notification_recent"),
            models.Index(fields=["tenant", "user"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.title


class NumberCounter(TenantOwned):
    """The last number given in one series (ORD, ACT, INV, CN) of one tenant and year, the year
    taken in the tenant's time zone. Advanced only by `tenancy.numbering.next_number`, one
    `UPDATE ... RETURNING` at a time: the row stays locked until the caller's transaction ends, so
    numbers have no gaps (a rollback gives the number back) and no duplicates."""

    series = models.CharField(_("series"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "series", "year"], name="number_counter_once_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last}"


class AuditChainHead(TenantOwned):
    """Where a tenant's audit chain ends (`tenancy.chain`): the last link's number and hash.

    One row per tenant, moved only by `chain_link` while it holds this row's lock, so two linkers
    never give the same number twice; verification compares the chain's tail with it, so deleting
    the newest events (which leaves no gap) is still seen."""

    last_seq = models.BigIntegerField(_("last link"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="audit_chain_head_once_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.last_seq}"


class OutboundMessage(TenantOwned):
    """One e-mail the platform sends (`tenancy.mail`): queued on commit, sent by a Celery task with
    retries, and kept with its state so that failures are seen (tenant admins' page, Django admin).

    `context` is what the templates need besides secrets (a signing code travels only in the task's
    message, never in this row). `thread` names the object a reply belongs to ("order:<id>"), for
    incoming mail that answers this one (by `message_id` or the Reply-To token).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("recipient"))
    to = models.EmailField(_("to"))
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    thread = models.CharField(max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    reply_to = models.EmailField(_("Reply-To"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "state", "created_at"], name="outbound_state_idx"),
                   models.Index(fields=["tenant", "-created_at", "-id"], name="outbound_recent_idx")]  # the list
        constraints = [models.UniqueConstraint(fields=["tenant", "message_id"], name="outbound_message_id_unique")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject or self.template}"


class UserProfile(models.Model):
    """A person's own preferences, the same in every tenant they work in: the language of the pages
    and e-mails, and the time zone times are shown in (empty: the organisation's)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="profile", verbose_name=_("user"))
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True,
        help_text=_("Pages and e-mails in this language. Empty: the browser's choice."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone],
        help_text=_("Times on pages are shown in this zone. Empty: the organisation's."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return str(self.user)


class Invitation(TenantOwned):
    """An e-mail invitation to join a tenant with a role. Only the SHA-256 of its token is kept;
    the link carries the tenant's id and the token. Open until it expires, is revoked or is used
    (once)."""

    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    client = models.ForeignKey(
        "contracts.Client", on_delete=models.CASCADE, null=True, blank=True,
        related_name="invitations", verbose_name=_("client"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    token_hash = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["token_hash", "tenant"], name="invitation_token_unique"),
            # one open invitation per address and tenant (an expired one is revoked before a new one)
            models.UniqueConstraint(fields=["email", "tenant"], name="invitation_one_open_per_email",
                                    condition=models.Q(used_at__isnull=True, revoked_at__isnull=True)),
            models.CheckConstraint(
                name="invitation_client_iff_client_role",
                condition=(
                    models.Q(role__in=sorted(r.value for r in CLIENT_ROLES), client__isnull=False)
                    | (~models.Q(role__in=sorted(r.value for r in CLIENT_ROLES)) & models.Q(client__isnull=True))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @staticmethod
    def hash_token(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.revoked_at is None and not self.is_expired


# the event tables of this app (the base sits in tenancy.events, which needs TenantOwned above)
from .events import Event  # noqa: E402


class MembershipEvent(Event):
    """Append-only trail of a membership: joined, role changed, deactivated, reactivated."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined")
        TRANSITION = "transition", _("Status changed")
        ROLE_CHANGED = "role_changed", _("Role changed")

    SUBJECT = "membership"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)

    class Meta(Event.Meta):
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")


class InvitationEvent(Event):
    """Append-only trail of an invitation: sent, sent again, revoked, accepted."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Invited")
        RESENT = "resent", _("Sent again")
        REVOKED = "revoked", _("Revoked")
        ACCEPTED = "accepted", _("Accepted")

    SUBJECT = "invitation"

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)

    class Meta(Event.Meta):
        verbose_name = _("invitation event")
        verbose_name_plural = _("invitation events")
