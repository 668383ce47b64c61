"""Clients, providers, contracts with their parties and the per-contract responsibility matrix."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from tenancy.events import Event
from tenancy.legal import LegalDetails
from tenancy.models import TenantOwned
from tenancy.roles import CONTRACT_MANAGERS, has_role

# ISO 4217 codes the platform invoices in; every one has a minor unit of 2.
CURRENCIES = [
    ("RUB", _("Russian rouble")),
    ("USD", _("US dollar")),
    ("EUR", _("Euro")),
    ("CNY", _("Chinese yuan")),
    ("KZT", _("Kazakhstani tenge")),
    ("BYN", _("Belarusian rouble")),
    ("AED", _("UAE dirham")),
    ("GBP", _("Pound sterling")),
    ("CHF", _("Swiss franc")),
]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Organisation(LegalDetails, TenantOwned):
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=20, blank=True,
                              help_text=_("A foreign tax or VAT number; a Russian organisation's goes in INN."))
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(Organisation):
    """A client company the provider serves."""

    is_active = models.BooleanField(_("active"), default=True)

    class Meta(Organisation.Meta):
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="client_name_unique_per_tenant"),
        ]


class Provider(Organisation):
    """The tenant's own organisation or a subcontractor that does part of the work."""

    is_own = models.BooleanField(
        _("own organisation"), default=False,
        help_text=_("Unticked for a subcontractor."),
    )

    class Meta(Organisation.Meta):
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="provider_name_unique_per_tenant"),
        ]


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NEGOTIATION = "negotiation", _("Negotiation")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    EXPIRED = "expired", _("Expired")


OPEN_FOR_TERMS = (ContractState.DRAFT, ContractState.NEGOTIATION)


class ReviewCadence(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Every six months")
    ANNUAL = "annual", _("Annual")
    BOTH = "both", _("Quarterly and annual")
    NONE = "none", _("No reviews")


def _manages_contracts(contract: Contract, user) -> bool:
    return has_role(user, CONTRACT_MANAGERS, contract.tenant_id)


class Contract(ConcurrentTransitionMixin, TenantOwned):
    number = models.CharField(_("number"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("client")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("provider"),
        help_text=_("The provider that signs the contract with the client."),
    )
    state = FSMField(
        _("state"), max_length=20, choices=ContractState.choices, default=ContractState.DRAFT,
        protected=True, db_index=True,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("Empty for an open-ended contract."))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="RUB")
    monthly_fee = models.DecimalField(
        _("monthly fee"), max_digits=14, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    quality_share_pct = models.DecimalField(
        _("quality-linked share, %"), max_digits=5, decimal_places=2, default=Decimal("0.00"),
        validators=PERCENT, help_text=_("The share of the fee that depends on the client's ratings."),
    )
    penalty_cap_pct = models.DecimalField(
        _("penalty cap, %"), max_digits=5, decimal_places=2, default=Decimal("15.00"),
        validators=PERCENT, help_text=_("All penalties of a period together never exceed this share of the fee."),
    )
    acceptance_days = models.PositiveSmallIntegerField(
        _("acceptance days"), default=5, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Days the client has to sign or dispute an act before it is deemed accepted."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms, days"), default=10, validators=[MaxValueValidator(180)]
    )
    invoice_day = models.PositiveSmallIntegerField(
        _("invoice day"), default=1, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the month on which the previous month is invoiced."),
    )
    review_cadence = models.CharField(
        _("review cadence"), max_length=20, choices=ReviewCadence.choices, default=ReviewCadence.BOTH
    )
    review_lead_days = models.PositiveSmallIntegerField(
        _("review lead time, days"), default=14, validators=[MaxValueValidator(90)],
        help_text=_("Days after a review period ends within which the review meeting is proposed."),
    )
    # renewals (issue 10): a reminder `renewal_notice_days` before the end date, and with
    # `auto_renew` an amendment extending the term by `renewal_term_months` on the end date
    auto_renew = models.BooleanField(
        _("renews automatically"), default=False,
        help_text=_("On its end date the contract extends itself by the renewal term."),
    )
    renewal_term_months = models.PositiveSmallIntegerField(
        _("renewal term, months"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    renewal_notice_days = models.PositiveSmallIntegerField(
        _("renewal notice, days"), default=30, validators=[MaxValueValidator(365)],
        help_text=_("The account manager is reminded this many days before the end date."),
    )
    renewal_reminded_for = models.DateField(null=True, blank=True, editable=False,
                                            help_text="the end date the last renewal reminder was sent for")
    # disputes (issue 10): how long each stage of a dispute may last before it escalates
    dispute_negotiation_days = models.PositiveSmallIntegerField(
        _("negotiation, days"), default=10, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days the parties negotiate a dispute before it goes to mediation."),
    )
    dispute_mediation_days = models.PositiveSmallIntegerField(
        _("mediation, days"), default=20, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days of mediation before a dispute goes to arbitration."),
    )
    dispute_arbitration_days = models.PositiveSmallIntegerField(
        _("arbitration, days"), default=60, validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("Days within which arbitration is expected to end the dispute."),
    )
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="contract_number_unique_per_tenant"),
            models.CheckConstraint(
                name="contract_end_not_before_start",
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
            ),
            models.CheckConstraint(name="contract_fee_not_negative", condition=models.Q(monthly_fee__gte=0)),
            models.CheckConstraint(
                name="contract_percentages_in_range",
                condition=models.Q(quality_share_pct__gte=0, quality_share_pct__lte=100,
                                   penalty_cap_pct__gte=0, penalty_cap_pct__lte=100),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "state", "end_date"], name="contract_state_end_idx"),
                   models.Index(fields=["tenant", "-created_at", "-id"], name="contract_recent_idx")]  # the list

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
        if self.client_id and self.tenant_id and self.client.tenant_id != self.tenant_id:
            raise ValidationError({"client": _("Unknown client.")})

    @property
    def terms_editable(self) -> bool:
        return self.state in OPEN_FOR_TERMS

    # --- conditions, each with the reason a user reads when it fails -------------------------

    def activation_problems(self) -> list[str]:
        problems = []
        if not self.start_date:
            problems.append(_("Set the start date."))
        if self.start_date and self.end_date and self.end_date < self.start_date:
            problems.append(_("The end date cannot be before the start date."))
        if self.end_date and self.end_date < self.tenant.today():
            problems.append(_("The end date has already passed."))
        roles = set(self.roles.values_list("role", flat=True))
        if ContractRoleKind.ACCOUNT_MANAGER not in roles:
            problems.append(_("Assign an account manager."))
        if ContractRoleKind.CLIENT_SIGNATORY not in roles:
            problems.append(_("Assign a client signatory."))
        return problems

    def expiry_problems(self) -> list[str]:
        if not self.end_date or self.end_date >= self.tenant.today():
            return [_("The contract expires only after its end date.")]
        return []

    def can_activate(self) -> bool:
        return not self.activation_problems()

    def can_expire(self) -> bool:
        return not self.expiry_problems()

    # --- the state machine: guards and state changes only; services do the rest --------------

    @transition(field=state, source=ContractState.DRAFT, target=ContractState.NEGOTIATION,
                permission=_manages_contracts, custom={"label": _("Send to negotiation")})
    def submit(self):
        pass

    @transition(field=state, source=ContractState.NEGOTIATION, target=ContractState.DRAFT,
                permission=_manages_contracts, custom={"label": _("Return to draft")})
    def return_to_draft(self):
        pass

    @transition(field=state, source=ContractState.NEGOTIATION, target=ContractState.ACTIVE,
                conditions=[can_activate], permission=_manages_contracts,
                custom={"label": _("Activate")})
    def activate(self):
        pass

    @transition(field=state, source=ContractState.ACTIVE, target=ContractState.SUSPENDED,
                permission=_manages_contracts, custom={"label": _("Suspend"), "note_required": True})
    def suspend(self):
        pass

    @transition(field=state, source=ContractState.SUSPENDED, target=ContractState.ACTIVE,
                permission=_manages_contracts, custom={"label": _("Resume")})
    def resume(self):
        pass

    @transition(field=state, source=[ContractState.ACTIVE, ContractState.SUSPENDED],
                target=ContractState.TERMINATED, permission=_manages_contracts,
                custom={"label": _("Terminate"), "note_required": True, "danger": True})
    def terminate(self):
        pass

    @transition(field=state, source=[ContractState.ACTIVE, ContractState.SUSPENDED],
                target=ContractState.EXPIRED, conditions=[can_expire], permission=_manages_contracts,
                custom={"label": _("Mark expired")})
    def expire(self):
        pass


TRANSITIONS = ("submit", "return_to_draft", "activate", "suspend", "resume", "terminate", "expire")


class PartyKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    CONTRACTOR = "contractor", _("Contractor")
    SUBCONTRACTOR = "subcontractor", _("Subcontractor")


class ContractParty(TenantOwned):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="parties", verbose_name=_("contract"))
    kind = models.CharField(_("kind"), max_length=20, choices=PartyKind.choices)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("client"))
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("provider"))
    representative = models.CharField(_("representative"), max_length=200, blank=True,
                                      help_text=_("Who signs for the party, e.g. the general director."))
    basis = models.CharField(_("acting under"), max_length=200, blank=True, help_text=_("e.g. the charter, a power of attorney"))
    responsibilities = models.TextField(_("responsibilities"), blank=True)

    class Meta:
        verbose_name = _("contract party")
        verbose_name_plural = _("contract parties")
        ordering = ["contract", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                name="party_is_client_or_provider",
                condition=(
                    models.Q(kind="customer", client__isnull=False, provider__isnull=True)
                    | (~models.Q(kind="customer") & models.Q(client__isnull=True, provider__isnull=False))
                ),
            ),
            models.UniqueConstraint(fields=["contract", "provider", "tenant"], name="party_provider_once",
                                    condition=models.Q(provider__isnull=False)),
            models.UniqueConstraint(fields=["contract", "client", "tenant"], name="party_client_once",
                                    condition=models.Q(client__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.organisation}"

    @property
    def organisation(self):
        return self.client if self.client_id else self.provider


class ContractRoleKind(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    CONTACT_POINT = "contact_point", _("Contact point")
    RESOLVER = "resolver", _("Resolver")
    COORDINATOR = "coordinator", _("Coordinator")
    CLIENT_APPROVER = "client_approver", _("Client approver")
    CLIENT_SIGNATORY = "client_signatory", _("Client signatory")


CLIENT_SIDE_CONTRACT_ROLES = frozenset({ContractRoleKind.CLIENT_APPROVER, ContractRoleKind.CLIENT_SIGNATORY})


class ContractRole(TenantOwned):
    """One cell of the responsibility matrix: who plays which role on a contract."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="roles", verbose_name=_("contract"))
    role = models.CharField(_("role"), max_length=32, choices=ContractRoleKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contract_roles", verbose_name=_("user"))
    created_at = models.DateTimeField(_("assigned at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contract role")
        verbose_name_plural = _("contract roles")
        ordering = ["contract", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "role", "user", "tenant"], name="contract_role_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class ContractEvent(Event):
    """Append-only trail of a contract: transitions (from → to), edits, parties and roles."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("State changed")
        UPDATED = "updated", _("Terms changed")
        PARTY_ADDED = "party_added", _("Party added")
        PARTY_REMOVED = "party_removed", _("Party removed")
        ROLE_ASSIGNED = "role_assigned", _("Role assigned")
        ROLE_REMOVED = "role_removed", _("Role removed")
        OBLIGATION_ADDED = "obligation_added", _("Obligation added")
        OBLIGATION_CHANGED = "obligation_changed", _("Obligation changed")
        OBLIGATION_OVERDUE = "obligation_overdue", _("Obligation overdue")
        OBLIGATION_DONE = "obligation_done", _("Obligation done")
        AMENDMENT_PROPOSED = "amendment_proposed", _("Amendment proposed")
        AMENDMENT_AGREED = "amendment_agreed", _("Amendment agreed")
        AMENDMENT_REJECTED = "amendment_rejected", _("Amendment rejected")
        AMENDMENT_CANCELLED = "amendment_cancelled", _("Amendment cancelled")
        AMENDMENT_APPLIED = "amendment_applied", _("Amendment applied")
        RENEWAL_REMINDED = "renewal_reminded", _("Renewal reminder sent")

    SUBJECT = "contract"
    CONTRACT_PATH = "contract"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True, choices=ContractState.choices)
    to_state = models.CharField(_("to"), max_length=20, blank=True, choices=ContractState.choices)

    class Meta(Event.Meta):
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")


# --- versions: the terms in force from a date (issue 10) ------------------------------------


class ContractVersion(TenantOwned):
    """The terms of a contract in force from `effective_from` until the next version's date.

    Version 1 is written when the contract is activated; each applied amendment writes the next.
    `terms` is the snapshot `contracts.versions.snapshot()` takes: the contract's own terms
    (fee, shares, acceptance days, end date) and each registered section (rating bands, SLA
    policies, calendar, parties, roles). Rows are never edited: an amendment adds a version.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions",
                                 verbose_name=_("contract"))
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("in force from"))
    terms = models.JSONField(_("terms"), default=dict)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number", "tenant"], name="contract_version_number_once"),
            models.UniqueConstraint(fields=["contract", "effective_from", "tenant"], name="contract_version_date_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.number} ({self.effective_from})"


# --- amendments: agreed changes to the terms from an effective date (issue 10) ---------------


class AmendmentState(models.TextChoices):
    # a context of their own: in Russian an amendment (допсоглашение) is neuter, unlike the
    # feminine order, review or invoice states that share these English words
    PROPOSED = "proposed", pgettext_lazy("amendment state", "Proposed")
    AGREED = "agreed", pgettext_lazy("amendment state", "Agreed")
    REJECTED = "rejected", pgettext_lazy("amendment state", "Rejected")
    APPLIED = "applied", pgettext_lazy("amendment state", "Applied")
    CANCELLED = "cancelled", pgettext_lazy("amendment state", "Cancelled")


OPEN_AMENDMENT_STATES = (AmendmentState.PROPOSED, AmendmentState.AGREED)


class AmendmentSide(models.TextChoices):
    PROVIDER = "provider", _("Provider")
    CLIENT = "client", _("Client")


class Amendment(ConcurrentTransitionMixin, TenantOwned):
    """A change to an active contract's terms from `effective_date`: proposed by one side, agreed
    (or rejected) by the other, applied on its date, when it writes the contract's next version.

    `changes` maps a term (`contracts.versions.CORE_TERMS`) or a registered section's name to its
    new value, as the JSON a version snapshot stores. A renewal sets `renews_end_date`, the end
    date it extends: at most one live renewal per contract and end date (a unique constraint), so
    the beat task renewing a contract twice, or in two workers, renews it once.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="amendments",
                                 verbose_name=_("contract"))
    number = models.CharField(_("number"), max_length=30)
    effective_date = models.DateField(_("effective date"))
    reason = models.TextField(_("reason"))
    changes = models.JSONField(_("changes"), default=dict)
    state = FSMField(_("state"), max_length=20, choices=AmendmentState.choices, default=AmendmentState.PROPOSED,
                     protected=True, db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("proposed by"))
    proposed_side = models.CharField(_("proposed by side"), max_length=10, choices=AmendmentSide.choices)
    renews_end_date = models.DateField(_("renews the term ending"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    version = models.ForeignKey(ContractVersion, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="amendments", verbose_name=_("version"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="amendment_number_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["contract", "renews_end_date", "tenant"], name="amendment_one_live_renewal",
                condition=models.Q(renews_end_date__isnull=False)
                & ~models.Q(state__in=["rejected", "cancelled"]),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "state", "effective_date"], name="amendment_state_date_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def other_side(self) -> str:
        return AmendmentSide.CLIENT if self.proposed_side == AmendmentSide.PROVIDER else AmendmentSide.PROVIDER

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_AMENDMENT_STATES

    @transition(field=state, source=AmendmentState.PROPOSED, target=AmendmentState.AGREED)
    def agree(self):
        pass

    @transition(field=state, source=AmendmentState.PROPOSED, target=AmendmentState.REJECTED)
    def reject(self):
        pass

    @transition(field=state, source=AmendmentState.AGREED, target=AmendmentState.APPLIED)
    def apply(self):
        pass

    @transition(field=state, source=[AmendmentState.PROPOSED, AmendmentState.AGREED], target=AmendmentState.CANCELLED)
    def cancel(self):
        pass


class AmendmentConsent(TenantOwned):
    """The client signatory's agreement to a provider's amendment: who, when, from where, the
    SHA-256 of the amendment's canonical text and the consent they ticked (like an act's signature)."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password")

    amendment = models.OneToOneField(Amendment, on_delete=models.CASCADE, related_name="consent",
                                     verbose_name=_("amendment"))
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("signer"))
    signer_name = models.CharField(_("signer name"), max_length=300)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.PASSWORD)
    signed_at = models.DateTimeField(_("agreed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.TextField(_("user agent"), blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the amendment"), max_length=64)
    consent_text = models.TextField(_("consent"))

    class Meta:
        verbose_name = _("amendment consent")
        verbose_name_plural = _("amendment consents")

    def __str__(self) -> str:
        return f"{self.amendment_id}: {self.signer_name}"


# --- obligations: recurring duties of a contract (issue 10) --------------------------------


class ObligationRule(models.TextChoices):
    """When a recurring duty falls due. Each due date covers the period before it (a month, a
    quarter, a year): "the monthly report by the 5th" is the previous month's report."""

    MONTHLY = "monthly", _("Monthly, on a day of the month")
    QUARTERLY = "quarterly", _("Quarterly, on a day of the month after the quarter")
    YEARLY = "yearly", _("Yearly, on a date")
    BUSINESS_DAYS = "business_days", _("Business days after the month ends")


class ObligationRuleFields(models.Model):
    """The rule of an obligation or of a template: what is due, when, and how early to remind.

    `day` is the day of the month (monthly, quarterly, yearly; 29–31 fall on a shorter month's
    last day), `month` the month of a yearly date, `business_days` the N of "the N-th business day
    of the month after". The fields a rule does not use stay empty.
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rule = models.CharField(_("rule"), max_length=20, choices=ObligationRule.choices, default=ObligationRule.MONTHLY)
    day = models.PositiveSmallIntegerField(
        _("day of the month"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("29, 30 or 31 fall on the last day of a shorter month."),
    )
    month = models.PositiveSmallIntegerField(
        _("month"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("For a yearly rule: the month of the date."),
    )
    business_days = models.PositiveSmallIntegerField(
        _("business days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("For “business days after the month ends”: e.g. 3 for the 3rd business day."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind days before"), default=3, validators=[MaxValueValidator(60)],
        help_text=_("The owner is reminded this many days before the due date (0: on the day)."),
    )

    class Meta:
        abstract = True

    RULE_FIELDS = ("rule", "day", "month", "business_days")


class ObligationTemplate(TenantOwned, ObligationRuleFields):
    """A duty many contracts share (e.g. "closing documents by the 3rd business day"), applied to
    contracts at once; each contract then gets its own obligation."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("obligation template")
        verbose_name_plural = _("obligation templates")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "title"], name="obligation_template_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class Obligation(TenantOwned, ObligationRuleFields):
    """A recurring duty the provider owes under one contract, with the staff member who owns it."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="obligations",
                                 verbose_name=_("contract"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="obligations",
                              verbose_name=_("owner"))
    template = models.ForeignKey(ObligationTemplate, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="obligations", verbose_name=_("template"))
    starts_on = models.DateField(_("first due on or after"),
                                 help_text=_("No occurrence is due before this date."))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["contract", "title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "template", "tenant"], condition=models.Q(template__isnull=False),
                                    name="obligation_once_per_template"),
        ]

    def __str__(self) -> str:
        return self.title


class OccurrenceState(models.TextChoices):
    PENDING = "pending", _("Pending")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Done")
    DONE_LATE = "done_late", _("Done late")


def obligation_evidence_upload_to(occurrence: ObligationOccurrence, filename: str) -> str:
    """Evidence files live under their tenant and obligation, named by a random id (the user's
    file name is kept in `evidence_name` only), like order attachments."""
    import uuid
    from pathlib import PurePath

    return (f"obligations/{occurrence.tenant_id}/{occurrence.obligation_id}/"
            f"{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}")


class ObligationOccurrence(TenantOwned):
    """One dated instance of an obligation: pending → done, or pending → overdue → done late.

    At most one per obligation and due date (a unique constraint), so generating twice, or in two
    workers at once, creates each occurrence once. `reminded_at` and `alerted_at` are set by a
    compare-and-set, so each notification goes out once.
    """

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="occurrences",
                                   verbose_name=_("obligation"))
    due_date = models.DateField(_("due date"))
    state = FSMField(_("state"), max_length=20, choices=OccurrenceState.choices, default=OccurrenceState.PENDING,
                     protected=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))
    evidence_note = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=obligation_evidence_upload_to, max_length=255,
                                     blank=True)
    evidence_name = models.CharField(_("file name"), max_length=255, blank=True)
    evidence_content_type = models.CharField(max_length=120, blank=True)
    evidence_size = models.PositiveBigIntegerField(null=True, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("obligation occurrence")
        verbose_name_plural = _("obligation occurrences")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "due_date", "tenant"], name="obligation_occurrence_once"),
        ]
        indexes = [models.Index(fields=["tenant", "state", "due_date"], name="occurrence_state_due_idx"),
                   models.Index(fields=["tenant", "due_date", "id"], name="occurrence_due_idx")]  # the list

    def __str__(self) -> str:
        return f"{self.obligation_id} @ {self.due_date}"

    @property
    def is_open(self) -> bool:
        return self.state in (OccurrenceState.PENDING, OccurrenceState.OVERDUE)

    @transition(field=state, source=OccurrenceState.PENDING, target=OccurrenceState.DONE)
    def complete(self):
        pass

    @transition(field=state, source=OccurrenceState.OVERDUE, target=OccurrenceState.DONE_LATE)
    def complete_late(self):
        pass
