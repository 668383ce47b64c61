"""Webhook endpoints of a tenant (or of one of its clients), their deliveries and every attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenancy.models import TenantOwned


class Endpoint(TenantOwned):
    """A URL that receives the events it subscribes to, signed with its secret (Standard Webhooks).

    The secret is stored encrypted (`integrations.webhooks.crypto`) and shown once, when it is made.
    While a rotated-out secret's overlap lasts, deliveries carry a signature under each secret.
    An endpoint with a `client` is a client administrator's: only that client's events reach it.
    """

    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    client = models.ForeignKey("contracts.Client", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("client"),
                               help_text=_("Set: only this client's events, and only its administrators manage it."))
    secret_token = models.TextField(editable=False)
    secret_key_id = models.CharField(max_length=32, editable=False)
    secret_revealed_at = models.DateTimeField(null=True, blank=True, editable=False,
                                              help_text=_("When the secret was shown; it is never shown again."))
    previous_secret_token = models.TextField(blank=True, editable=False)
    previous_secret_key_id = models.CharField(max_length=32, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(_("old secret valid until"), null=True, blank=True,
                                                      editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True,
                                         help_text=_("The first failed attempt since the last success."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description or self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery state", "Pending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery state", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery state", "Failed")


class Delivery(TenantOwned):
    """One event to one endpoint: the same `webhook-id` and body on every attempt and replay."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(_("webhook-id"), max_length=64)
    event_type = models.CharField(_("event type"), max_length=40)
    event_key = models.CharField(max_length=120, help_text="What happened, once per tenant (idempotency)")
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    tries = models.PositiveSmallIntegerField(_("attempts in this run"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_key", "tenant"], name="webhook_delivery_once_per_endpoint"),
            # unique with the tenant (tenancy.db_keys); the id is random, so also unique alone
            models.UniqueConstraint(fields=["message_id", "tenant"], name="webhook_delivery_message_id_once"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="webhook_delivery_due"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="webhook_delivery_recent"),  # the log
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class Attempt(TenantOwned):
    """One HTTP request of a delivery: when, how long, the answer (its first KiB) or the error."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("at"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"
