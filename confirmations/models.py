"""Acts of completed work, the client's confirmation (signature or dispute, with ratings), the
signing evidence, deemed acceptance and corrective actions.

An act goes `draft → sent → signed | disputed | deemed_accepted`, and `disputed → sent` again after
rework. Its PDF's SHA-256 is fixed when it is sent; a signed act never changes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from tenancy.events import Event
from tenancy.models import TenantOwned

PROVIDER, CLIENT, SYSTEM = "provider", "client", "system"
RATING = [MinValueValidator(1), MaxValueValidator(5)]
LOW_RATING = 2  # a rating of this or less needs a comment and opens a corrective action
GOOD_RATING = 4  # a later confirmation rating this or more closes the client's open corrective actions


class ActState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    SIGNED = "signed", _("Signed")
    DISPUTED = "disputed", _("Disputed")
    DEEMED_ACCEPTED = "deemed_accepted", _("Deemed accepted")


ACCEPTED_STATES = (ActState.SIGNED, ActState.DEEMED_ACCEPTED)


class Act(ConcurrentTransitionMixin, TenantOwned):
    """An act of completed work for one contract and period, sent to the client to sign."""

    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        EN = "en", _("English")

    number = models.CharField(_("number"), max_length=30)
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="acts",
                                 verbose_name=_("contract"))
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="acts",
                               verbose_name=_("client"), editable=False)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00"),
                                 help_text=_("The sum of the lines, without VAT."))
    state = FSMField(_("state"), max_length=20, choices=ActState.choices, default=ActState.DRAFT,
                     protected=True, db_index=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=0,
                                                help_text=_("How many times the act has been sent."))
    # the document the client reads and signs: rendered and hashed when sent
    pdf = models.FileField(_("PDF"), upload_to="acts/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("sent by"))
    accept_by = models.DateTimeField(_("sign or dispute by"), null=True, blank=True,
                                     help_text=_("After this the act is deemed accepted."))
    # the sealed PDF (PAdES) once signed or deemed accepted
    sealed_pdf = models.FileField(_("sealed PDF"), upload_to="acts/%Y/%m/", blank=True)
    sealed_sha256 = models.CharField(_("SHA-256 of the sealed PDF"), max_length=64, blank=True, db_index=True)
    dispute_reason = models.TextField(_("dispute reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        verbose_name = _("act")
        verbose_name_plural = _("acts")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="act_number_unique_per_tenant"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="act_period_in_order"),
        ]
        indexes = [
            # the deemed-acceptance task: sent acts past their deadline
            models.Index(fields=["accept_by"], name="act_sent_accept_by_idx", condition=models.Q(state="sent")),
            # the acts page's default order (newest period first), read backwards: a page without
            # sorting every act of the tenant (4,800 acts: 17 ms a page, and a year more each year)
            models.Index(fields=["tenant", "period_start", "number", "id"], name="act_tenant_period"),
        ]

    def __str__(self) -> str:
        return self.number

    # Transitions: guard and state change only; `custom["side"]` says who may fire it.

    @transition(field=state, source=[ActState.DRAFT, ActState.DISPUTED], target=ActState.SENT,
                custom={"side": PROVIDER, "label": _("Send to the client")})
    def send(self):
        pass

    @transition(field=state, source=ActState.SENT, target=ActState.SIGNED,
                custom={"side": CLIENT, "label": _("Sign")})
    def sign(self):
        pass

    @transition(field=state, source=ActState.SENT, target=ActState.DISPUTED,
                custom={"side": CLIENT, "label": _("Dispute"), "note_required": True})
    def dispute(self):
        pass

    @transition(field=state, source=ActState.SENT, target=ActState.DEEMED_ACCEPTED,
                custom={"side": SYSTEM, "label": _("Deem accepted")})
    def deem_accepted(self):
        pass


class ActLine(TenantOwned):
    """One line of work in an act: a delivered order, or the contract's fixed service for the period."""

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="act_lines",
                              verbose_name=_("order"))
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("act line")
        verbose_name_plural = _("act lines")
        ordering = ["act", "position"]
        constraints = [models.UniqueConstraint(fields=["act", "position", "tenant"], name="act_line_position_once")]


class ActEvent(Event):
    """The act's timeline: every transition and change, who, when, from, to."""

    SUBJECT = "act"
    CONTRACT_PATH = "act__contract"

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("State changed")
        CHANGED = "changed", _("Lines changed")
        RENDERED = "rendered", _("PDF rendered")
        SEALED = "sealed", _("PDF sealed")
        REQUEUED = "requeued", _("Queued again")
        CORRECTIVE_ACTION = "corrective_action", _("Corrective action opened")
        CORRECTIVE_PLAN = "corrective_plan", _("Corrective action plan updated")

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True, choices=ActState.choices)
    to_state = models.CharField(_("to"), max_length=20, blank=True, choices=ActState.choices)

    @property
    def kind_label(self) -> str:
        """What happened, for the timeline (the kind's own name when it has no label)."""
        if self.kind == self.Kind.REQUEUED:
            return str(_("Sealing queued again") if (self.data or {}).get("task") == "seal"
                       else _("PDF rendering queued again"))
        return str(dict(self.Kind.choices).get(self.kind, self.kind))

    class Meta(Event.Meta):
        verbose_name = _("act event")
        verbose_name_plural = _("act events")


class Confirmation(TenantOwned):
    """The client's acceptance of an act: signed with ratings, or deemed accepted by the deadline."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("Signed")
        DEEMED = "deemed_accepted", _("Deemed accepted")

    act = models.OneToOneField(Act, on_delete=models.PROTECT, related_name="confirmation")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="confirmations")
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="confirmations")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True, validators=RATING,
                                              help_text=_("1–5; none when deemed accepted."))
    comment = models.TextField(_("comment"), blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                                   name="confirmation_rating_1_to_5"),
        ]


class OrderRating(TenantOwned):
    """The client's rating of one order of a signed act."""

    confirmation = models.ForeignKey(Confirmation, on_delete=models.CASCADE, related_name="order_ratings")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="ratings")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=RATING)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["confirmation", "order", "tenant"], name="order_rated_once_per_confirmation"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="order_rating_1_to_5"),
        ]


class SignatureEvidence(TenantOwned):
    """What proves the signature: who, when (UTC), from where, what exactly and how."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password re-entered")
        EMAIL_CODE = "email_code", _("One-time code by email")
        DEEMED = "deemed", _("Deemed accepted at the deadline")

    act = models.OneToOneField(Act, on_delete=models.PROTECT, related_name="evidence")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    signer_name = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=20, choices=Method.choices)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    document_sha256 = models.CharField(max_length=64)
    consent_text = models.TextField(blank=True)
    sealed_sha256 = models.CharField(max_length=64, blank=True)
    certificate_fingerprint = models.CharField(max_length=64, blank=True)


class SigningCode(TenantOwned):
    """A one-time code sent by email to sign an act (stored hashed, short-lived, few attempts)."""

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class CorrectiveAction(TenantOwned):
    """Opened by a rating of 2 or less; open until a later confirmation of that client rates 4 or more."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("corrective action state", "Open")
        CLOSED = "closed", pgettext_lazy("corrective action state", "Closed")

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="corrective_actions")
    client = models.ForeignKey("contracts.Client", on_delete=models.PROTECT, related_name="corrective_actions")
    opened_by = models.ForeignKey(Confirmation, on_delete=models.PROTECT, related_name="opened_actions")
    closed_by = models.ForeignKey(Confirmation, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="closed_actions")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"), help_text=_("The account manager."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    note = models.TextField(_("plan"), blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["-opened_at", "-id"]


class SigningLockout(TenantOwned):
    """Failed signing attempts (wrong password or one-time code) of one user: too many in a short
    window lock their signing for a while. One row per user, kept in the database so that every web
    process sees the same count."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    failures = models.PositiveSmallIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="one_signing_lockout_per_user")]


class TenantCertificate(TenantOwned):
    """A seal certificate of the tenant, its private key stored encrypted under one of `SEAL_KEYS`
    (named by `key_id`). The first is generated on first use; renewing adds a new current one, and
    the earlier ones stay to verify what they sealed."""

    certificate_pem = models.TextField()
    encrypted_key = models.BinaryField()
    key_id = models.CharField(max_length=32, blank=True,
                              help_text="Which of SEAL_KEYS encrypts the private key (blank: not known yet).")
    fingerprint = models.CharField(max_length=64, db_index=True)
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    is_current = models.BooleanField(default=True, help_text="The one new seals are made with.")
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(is_current=True),
                                    name="one_current_certificate_per_tenant"),
        ]
