"""Every write to clients, providers and contracts: one function per use case."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.legal import LEGAL_FIELDS
from tenancy.models import Membership
from tenancy.roles import (
    CLIENT_ROLES,
    PROVIDER_ROLES,
    Role,
    require_manager,
)
from tenancy.transitions import Machine, fire

from .models import (
    CLIENT_SIDE_CONTRACT_ROLES,
    TRANSITIONS,
    Client,
    Contract,
    ContractEvent,
    ContractParty,
    ContractRole,
    ContractState,
    PartyKind,
    Provider,
)
from .versions import version_baseline, version_write

CLIENT_FIELDS = ("name", "legal_name", "tax_id", "email", "phone", "address", "is_active", *LEGAL_FIELDS)
PROVIDER_FIELDS = ("name", "legal_name", "tax_id", "email", "phone", "address", "is_own", *LEGAL_FIELDS)
CONTRACT_TERMS = (
    "number", "title", "client", "provider", "start_date", "end_date", "currency", "monthly_fee",
    "quality_share_pct", "penalty_cap_pct", "acceptance_days", "payment_terms_days",
    "invoice_day", "review_cadence", "review_lead_days", "description",
    "auto_renew", "renewal_term_months", "renewal_notice_days",
    "dispute_negotiation_days", "dispute_mediation_days", "dispute_arbitration_days",
)
# What may still change once a contract is signed (terms change by amendment then): the renewal
# settings and the dispute stages are procedure, not priced terms.
CONTRACT_FIELDS_ALWAYS_EDITABLE = (
    "title", "description", "end_date", "auto_renew", "renewal_term_months", "renewal_notice_days",
    "dispute_negotiation_days", "dispute_mediation_days", "dispute_arbitration_days",
)


def _validated_save(obj, *, unique_field: str | None = None, exclude=None) -> None:
    """full_clean + save, turning model and database errors into a DomainError for the field."""
    # protected FSM fields change only by transition, so cleaning must not assign them
    exclude = {*(exclude or ()), *(f.name for f in obj._meta.fields if getattr(f, "protected", False))}
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise _domain_error_from(exc) from exc
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        if unique_field:
            raise DomainError(_("This value is already used in your organisation."),
                              field=unique_field, code="unique") from exc
        raise DomainError(_("The data conflicts with existing records."), code="conflict") from exc


def _domain_error_from(exc: ValidationError) -> DomainError:
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        messages = [m for e in errors for m in e.messages]
        error = DomainError(messages[0], field=None if field == "__all__" else field, code="invalid")
        error.field_errors = {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
        return error
    return DomainError(exc.messages[0], code="invalid")


def _check_unique(model, *, field: str, value, instance=None) -> None:
    queryset = model.objects.filter(**{field: value})
    if instance is not None and instance.pk:
        queryset = queryset.exclude(pk=instance.pk)
    if queryset.exists():
        raise DomainError(_("This value is already used in your organisation."), field=field, code="unique")


def _record(contract: Contract, *, kind: str, actor, via: str = "", **fields: Any) -> ContractEvent:
    return ContractEvent.record(contract, kind=kind, actor=actor, via=via, **fields)


# --- clients and providers --------------------------------------------------------------------

@transaction.atomic
def client_create(*, actor, **fields: Any) -> Client:
    require_manager(actor, system=True)
    client = Client(**{k: v for k, v in fields.items() if k in CLIENT_FIELDS})
    _check_unique(Client, field="name", value=client.name)
    _validated_save(client, unique_field="name", exclude=["tenant"])
    return client


@transaction.atomic
def client_update(*, client: Client, actor, **changes: Any) -> Client:
    require_manager(actor, system=True)
    for key, value in changes.items():
        if key in CLIENT_FIELDS:
            setattr(client, key, value)
    _check_unique(Client, field="name", value=client.name, instance=client)
    _validated_save(client, unique_field="name")
    return client


@transaction.atomic
def provider_create(*, actor, **fields: Any) -> Provider:
    require_manager(actor, system=True)
    provider = Provider(**{k: v for k, v in fields.items() if k in PROVIDER_FIELDS})
    _check_unique(Provider, field="name", value=provider.name)
    _validated_save(provider, unique_field="name", exclude=["tenant"])
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, actor, **changes: Any) -> Provider:
    require_manager(actor, system=True)
    for key, value in changes.items():
        if key in PROVIDER_FIELDS:
            setattr(provider, key, value)
    _check_unique(Provider, field="name", value=provider.name, instance=provider)
    _validated_save(provider, unique_field="name")
    return provider


# --- contracts --------------------------------------------------------------------------------

@transaction.atomic
def contract_create(*, actor, via: str = "", client: Client, provider: Provider, **terms: Any) -> Contract:
    """A draft contract with its two parties: the client as customer, the provider as contractor."""
    require_manager(actor, system=True)
    contract = Contract(
        client=client, provider=provider, created_by=actor,
        **{k: v for k, v in terms.items() if k in CONTRACT_TERMS and k not in ("client", "provider")},
    )
    _check_unique(Contract, field="number", value=contract.number)
    _validated_save(contract, unique_field="number", exclude=["tenant"])
    ContractParty.objects.create(contract=contract, kind=PartyKind.CUSTOMER, client=client)
    ContractParty.objects.create(contract=contract, kind=PartyKind.CONTRACTOR, provider=provider)
    _record(contract, kind=ContractEvent.Kind.CREATED, actor=actor, via=via, to_state=contract.state)
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, actor, via: str = "", **changes: Any) -> Contract:
    """Change the terms of a draft or negotiated contract; once signed only title, description, end date."""
    require_manager(actor, system=True)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    allowed = CONTRACT_TERMS if contract.terms_editable else CONTRACT_FIELDS_ALWAYS_EDITABLE
    changed: dict[str, list[str]] = {}
    for key, value in changes.items():
        if key not in CONTRACT_TERMS:
            continue
        old = getattr(contract, key)
        if old == value:
            continue
        if key not in allowed:
            raise DomainError(
                _("This term of a %(state)s contract changes only by an amendment.")
                % {"state": contract.get_state_display().lower()},
                field=key, code="not_editable",
            )
        setattr(contract, key, value)
        changed[key] = [str(old), str(value)]
    if not changed:
        return contract
    if "number" in changed:
        _check_unique(Contract, field="number", value=contract.number, instance=contract)
    _validated_save(contract, unique_field="number")
    if "client" in changed or "provider" in changed:
        _sync_main_parties(contract)
    _record(contract, kind=ContractEvent.Kind.UPDATED, actor=actor, via=via, data={"changed": changed})
    if "end_date" in changed:
        from .versions import version_from_today

        version_from_today(contract=contract, actor=actor, note=_("End date changed on the contract."))
    return contract


def _sync_main_parties(contract: Contract) -> None:
    ContractParty.objects.filter(contract=contract, kind=PartyKind.CUSTOMER).update(client=contract.client)
    ContractParty.objects.filter(contract=contract, kind=PartyKind.CONTRACTOR).update(provider=contract.provider)


def _contract_permits(contract: Contract, meta, actor) -> None:
    # `actor=None` is the system (a beat task), which the role check does not apply to
    if actor is not None and not meta.has_perm(contract, actor):
        raise ActionForbidden(_("Your role does not allow this action."))


def _contract_after(contract: Contract, name: str, actor, now) -> dict:
    if name == "activate":
        # version 1: the terms in force from the start (contracts.versions)
        assert contract.start_date is not None  # activation requires it (Contract.activation_problems)
        version_write(contract=contract, effective_from=contract.start_date, actor=actor)
    if name == "terminate":
        return _end_on_termination(contract, actor=actor)
    return {}


CONTRACT_MACHINE = Machine(
    events=ContractEvent,
    transitions=TRANSITIONS,
    locked=lambda: Contract.objects.select_for_update(),
    refused=lambda contract: _("A %(state)s contract cannot do that.") % {
        "state": contract.get_state_display().lower()},
    permits=_contract_permits,
    conditions={"activate": Contract.activation_problems, "expire": Contract.expiry_problems},
    after=_contract_after,
)


def contract_transition(*, contract: Contract, name: str, actor, note: str = "", via: str = "") -> Contract:
    """Fire one transition of the contract state machine (`tenancy.transitions`)."""
    return fire(CONTRACT_MACHINE, contract, name, actor=actor, note=note, via=via)


def _end_on_termination(contract: Contract, *, actor) -> dict:
    """A terminated contract ends on the termination day (never before its start): its end date
    is set when empty or later, so billing invoices the final partial month; the old and new end
    dates go into the event, and a version from that day keeps the terms in force."""
    today = contract.tenant.today()
    end = max(today, contract.start_date) if contract.start_date else today
    if contract.end_date is not None and contract.end_date <= end:
        return {}
    old = contract.end_date
    version_baseline(contract=contract, actor=actor)
    contract.end_date = end
    Contract.objects.filter(pk=contract.pk).update(end_date=end)
    contract.__dict__.pop("_versions_cache", None)
    version_write(contract=contract, effective_from=end, actor=actor, note=_("Terminated"))
    return {"end_date": [old.isoformat() if old else None, end.isoformat()]}


def contract_submit(*, contract, actor, note="", via=""):
    return contract_transition(contract=contract, name="submit", actor=actor, note=note, via=via)


def contract_activate(*, contract, actor, note="", via=""):
    return contract_transition(contract=contract, name="activate", actor=actor, note=note, via=via)


def contract_suspend(*, contract, actor, note, via=""):
    return contract_transition(contract=contract, name="suspend", actor=actor, note=note, via=via)


def contract_resume(*, contract, actor, note="", via=""):
    return contract_transition(contract=contract, name="resume", actor=actor, note=note, via=via)


def contract_terminate(*, contract, actor, note, via=""):
    return contract_transition(contract=contract, name="terminate", actor=actor, note=note, via=via)


def contract_expire(*, contract, actor=None, note="", via=""):
    return contract_transition(contract=contract, name="expire", actor=actor, note=note, via=via)


def contracts_expire_ended() -> int:
    """Expire this tenant's active and suspended contracts whose end date has passed."""
    from tenancy.context import require_tenant_id
    from tenancy.models import Tenant

    from .amendments import contracts_auto_renew

    today = Tenant.objects.get(pk=require_tenant_id()).today()
    contracts_auto_renew(today=today)  # a contract that renews itself does not expire
    due = Contract.objects.filter(
        state__in=[ContractState.ACTIVE, ContractState.SUSPENDED], end_date__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        try:
            contract_expire(contract=Contract.objects.get(pk=pk), actor=None,
                            note=_("The end date has passed."))
        except TransitionRefused:
            continue  # another worker got there first
        count += 1
    return count


# --- parties and roles ------------------------------------------------------------------------

@transaction.atomic
def contract_party_add(*, contract: Contract, actor, kind: str, client: Client | None = None,
                       provider: Provider | None = None, representative: str = "", basis: str = "",
                       responsibilities: str = "", via: str = "") -> ContractParty:
    require_manager(actor, system=True)
    if kind == PartyKind.CUSTOMER:
        if client is None:
            raise DomainError(_("Choose the client."), field="client", code="required")
        if client.pk != contract.client_id:
            raise DomainError(_("The customer of a contract is its client."), field="client", code="invalid")
        provider = None
    else:
        if provider is None:
            raise DomainError(_("Choose the provider."), field="provider", code="required")
        client = None
    if ContractParty.objects.filter(contract=contract, client=client, provider=provider).exists():
        raise DomainError(_("This organisation is already a party to the contract."),
                          field="provider" if provider else "client", code="unique")
    party = ContractParty(contract=contract, kind=kind, client=client, provider=provider,
                          representative=representative, basis=basis, responsibilities=responsibilities)
    _validated_save(party, exclude=["tenant"])
    _record(contract, kind=ContractEvent.Kind.PARTY_ADDED, actor=actor, via=via,
            data={"party": str(party.organisation), "kind": kind})
    return party


@transaction.atomic
def contract_party_remove(*, party: ContractParty, actor, via: str = "") -> None:
    require_manager(actor, system=True)
    if party.kind == PartyKind.CUSTOMER or (
        party.kind == PartyKind.CONTRACTOR
        and party.provider_id == Contract.objects.values_list("provider_id", flat=True).get(pk=party.contract_id)
    ):
        raise DomainError(_("The contract's client and main provider stay parties to it."), code="protected")
    contract = Contract.objects.select_for_update().get(pk=party.contract_id)
    name = str(party.organisation)
    party.delete()
    _record(contract, kind=ContractEvent.Kind.PARTY_REMOVED, actor=actor, via=via, data={"party": name})


@transaction.atomic
def contract_role_assign(*, contract: Contract, actor, role: str, user, via: str = "") -> ContractRole:
    """Put `user` in a cell of the contract's responsibility matrix.

    Provider-side roles go to provider staff; client approver and signatory to users of the
    contract's client (a signatory must hold the client signatory or client admin role).
    """
    require_manager(actor, system=True)
    membership = Membership.objects.filter(user=user, is_active=True).first()
    if membership is None:
        raise DomainError(_("This user is not a member of your organisation."), field="user", code="invalid")
    if role in CLIENT_SIDE_CONTRACT_ROLES:
        if membership.role not in CLIENT_ROLES or membership.client_id != contract.client_id:
            raise DomainError(_("Choose a user of the contract's client."), field="user", code="invalid")
        if role == "client_signatory" and membership.role not in (Role.CLIENT_SIGNATORY, Role.CLIENT_ADMIN):
            raise DomainError(_("Only a client signatory or client administrator may sign for the client."),
                              field="user", code="invalid")
    elif membership.role not in PROVIDER_ROLES:
        raise DomainError(_("Choose a member of the provider's staff."), field="user", code="invalid")
    if ContractRole.objects.filter(contract=contract, role=role, user=user).exists():
        raise DomainError(_("This user already has this role on the contract."), field="user", code="unique")
    assignment = ContractRole(contract=contract, role=role, user=user)
    _validated_save(assignment, exclude=["tenant"])
    _record(contract, kind=ContractEvent.Kind.ROLE_ASSIGNED, actor=actor, via=via,
            data={"role": role, "user": user.get_username(), "name": user.get_full_name() or user.get_username()})
    return assignment


@transaction.atomic
def contract_role_remove(*, assignment: ContractRole, actor, via: str = "") -> None:
    require_manager(actor, system=True)
    contract = Contract.objects.select_for_update().get(pk=assignment.contract_id)
    if contract.state in (ContractState.ACTIVE, ContractState.SUSPENDED) and assignment.role in (
        "account_manager", "client_signatory"
    ) and ContractRole.objects.filter(contract=contract, role=assignment.role).count() == 1:
        raise DomainError(_("An active contract keeps at least one account manager and one client signatory."),
                          code="protected")
    data = {"role": assignment.role, "user": assignment.user.get_username(),
            "name": assignment.user.get_full_name() or assignment.user.get_username()}
    assignment.delete()
    _record(contract, kind=ContractEvent.Kind.ROLE_REMOVED, actor=actor, via=via, data=data)
