"""Incoming e-mail: every message that reached a tenant's inbound address, and what became of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned


class InboundState(models.TextChoices):
    ORDER_CREATED = "order_created", _("order created")
    COMMENT_ADDED = "comment_added", _("comment added")
    HELD = "held", _("held for review")
    REJECTED = "rejected", _("rejected")
    DISCARDED = "discarded", _("discarded")


class InboundMessage(TenantOwned):
    """One e-mail received for the tenant (by the IMAP poller or the raw-MIME endpoint).

    Exactly one row per Message-ID and tenant (a message without one is named by its SHA-256), so a
    message read twice is processed once. The raw message is kept (up to INBOUND_MAIL_MAX_BYTES;
    a larger one is rejected and not stored). A held message waits for an administrator, who turns
    it into an order or discards it; both are recorded (who, when, why).
    """

    class Source(models.TextChoices):
        IMAP = "imap", _("mailbox")
        API = "api", _("API")

    source = models.CharField(_("received by"), max_length=8, choices=Source.choices)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    attachment_names = models.JSONField(_("attachments"), default=list, blank=True)
    raw = models.BinaryField(_("raw message"), blank=True, editable=False)
    size = models.PositiveIntegerField(_("size, bytes"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=InboundState.choices)
    reason = models.TextField(_("reason"), blank=True)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("sender"))
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("order"))
    comment = models.ForeignKey("orders.OrderComment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("comment"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "message_id"], name="inbound_message_once")]
        indexes = [models.Index(fields=["tenant", "state", "received_at"], name="inbound_state_idx"),
                   models.Index(fields=["tenant", "-received_at", "-id"], name="inbound_recent_idx")]  # the list

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"

    @property
    def is_held(self) -> bool:
        return self.state == InboundState.HELD
