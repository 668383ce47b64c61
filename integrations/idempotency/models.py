"""Stored answers to idempotent POSTs, and each tenant's own rate limits."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import Tenant, TenantOwned

MAX_KEY_LENGTH = 255


class IdempotencyKey(TenantOwned):
    """One `Idempotency-Key` of one API key (or signed-in user) in its tenant.

    The row is inserted before the work runs (the unique constraint lets one request in) with no
    answer yet: that is a request in flight. When the request answers below 500 its status, the
    headers that matter and the body are stored; a retry with the same key and the same request
    gets them back until `expires_at`. A request that raises deletes its row, so a retry runs.
    """

    owner = models.CharField(_("owner"), max_length=40, help_text=_("The API key or user the key belongs to."))
    key = models.CharField(_("idempotency key"), max_length=MAX_KEY_LENGTH)
    request_hash = models.CharField(_("request hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), default=b"", blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "owner", "key"], name="idempotency_key_once_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.key}"

    @property
    def in_flight(self) -> bool:
        return self.status_code is None


def _per_minute(verbose_name):
    return models.PositiveIntegerField(
        verbose_name, null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("Requests per minute per API key (or signed-in user); empty for the platform's default."),
    )


class TenantRateLimit(models.Model):
    """A tenant's own API rate limits, set by the platform's administrators (not a tenant's data:
    the platform decides how much of it a tenant may use, as it does the tenant itself)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    reads_per_minute = _per_minute(_("reads per minute"))
    writes_per_minute = _per_minute(_("writes per minute"))

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")

    def __str__(self) -> str:
        return str(self.tenant)
