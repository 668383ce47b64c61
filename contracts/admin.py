"""Clients, providers and contracts in the Django admin, for a provider's admin or account manager.

Every admin here is a `TenantScopedAdmin` (see tenancy/admin_base.py): the current tenant's rows
only, another tenant's id is a 404, choices are the tenant's own. Every write goes through
contracts.services, so the rules and the contract timeline hold as in the app:

- a contract's state is read-only; the transitions that need no reason are admin actions that call
  `contract_transition` (suspending and terminating ask for a reason, on the contract's page);
- once a contract is active its terms are read-only except title, description and end date
  (they change by amendment);
- parties and the responsibility matrix are inlines whose rows are added, changed and removed by
  the services; the timeline is a read-only inline;
- nothing is deleted here: a client is deactivated, a contract is terminated or expires.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenancy.admin_base import (
    VIA_ADMIN,
    TenantScopedAdmin,
    TenantScopedTabularInline,
    adopt,
    form_changes,
    form_values,
    is_deleted,
    service_call,
)
from tenancy.context import current_tenant_id
from tenancy.errors import DomainError
from tenancy.models import Membership
from tenancy.roles import PROVIDER_ROLES
from tenancy.selectors import tenant_users

from .models import (
    TRANSITIONS,
    Amendment,
    Client,
    Contract,
    ContractEvent,
    ContractParty,
    ContractRole,
    ContractVersion,
    PartyKind,
    Provider,
)
from .services import (
    CLIENT_FIELDS,
    CONTRACT_FIELDS_ALWAYS_EDITABLE,
    CONTRACT_TERMS,
    PROVIDER_FIELDS,
    client_create,
    client_update,
    contract_create,
    contract_party_add,
    contract_party_remove,
    contract_role_assign,
    contract_role_remove,
    contract_transition,
    contract_update,
    provider_create,
    provider_update,
)

# --- clients and providers --------------------------------------------------------------------


@admin.register(Client)
class ClientAdmin(TenantScopedAdmin):
    list_display = ("name", "legal_name", "inn", "email", "phone", "is_active", "contract_count")
    list_filter = ("is_active",)
    search_fields = ("name", "legal_name", "tax_id", "inn", "email")
    fields = (*CLIENT_FIELDS, "created_at")
    readonly_fields = ("created_at",)
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contract_count=Count("contracts"))

    @admin.display(description=_("contracts"), ordering="contract_count")
    def contract_count(self, obj) -> int:
        return obj.contract_count

    def save_model(self, request, obj, form, change):
        with service_call():
            if change:
                client_update(client=obj, actor=request.user, **form_changes(form, CLIENT_FIELDS))
            else:
                adopt(obj, client_create(actor=request.user, **form_values(form, CLIENT_FIELDS)))


@admin.register(Provider)
class ProviderAdmin(TenantScopedAdmin):
    list_display = ("name", "legal_name", "inn", "is_own", "contract_count")
    list_filter = ("is_own",)
    search_fields = ("name", "legal_name", "tax_id", "inn")
    fields = (*PROVIDER_FIELDS, "created_at")
    readonly_fields = ("created_at",)
    ordering = ("-is_own", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contract_count=Count("contracts"))

    @admin.display(description=_("contracts"), ordering="contract_count")
    def contract_count(self, obj) -> int:
        return obj.contract_count

    def save_model(self, request, obj, form, change):
        with service_call():
            if change:
                provider_update(provider=obj, actor=request.user, **form_changes(form, PROVIDER_FIELDS))
            else:
                adopt(obj, provider_create(actor=request.user, **form_values(form, PROVIDER_FIELDS)))


# --- the inlines of a contract ----------------------------------------------------------------


class ContractPartyInlineForm(forms.ModelForm):
    class Meta:
        model = ContractParty
        # the admin adds `provider` with the current tenant's choices (none exist at import time)
        fields = ("kind", "representative", "basis", "responsibilities")
        widgets = {"responsibilities": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def clean(self):
        cleaned_data = super().clean()
        if is_deleted(self):
            return cleaned_data
        if self.instance.pk is not None:
            if {"kind", "provider"} & set(self.changed_data):
                self.add_error(None, _("To change the organisation, delete this party and add another."))
            return cleaned_data
        provider = cleaned_data.get("provider")
        if cleaned_data.get("kind") == PartyKind.CUSTOMER:
            self.add_error("kind", _("The contract's client is its customer already; add providers here."))
        elif provider is None:
            self.add_error("provider", _("Choose the provider."))
        elif ContractParty.objects.filter(contract_id=self.instance.contract_id, provider=provider).exists():
            self.add_error("provider", _("This organisation is already a party to the contract."))
        return cleaned_data


class ContractPartyInline(TenantScopedTabularInline):
    model = ContractParty
    form = ContractPartyInlineForm
    fields = ("kind", "client", "provider", "representative", "basis", "responsibilities")
    readonly_fields = ("client",)
    allow_delete = True  # through contract_party_remove, which keeps the client and the main provider


class ContractRoleInline(TenantScopedTabularInline):
    model = ContractRole
    fields = ("role", "user", "created_at")
    readonly_fields = ("created_at",)
    allow_delete = True  # through contract_role_remove, which keeps an active contract staffed

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        user_field = formset.form.base_fields.get("user")
        if obj is not None and user_field is not None:
            # the provider's staff and the users of this contract's client, nobody else
            members = Membership.objects.filter(is_active=True).filter(
                Q(role__in=sorted(PROVIDER_ROLES)) | Q(client_id=obj.client_id)
            )
            user_field.queryset = tenant_users().filter(pk__in=members.values("user_id"))
        return formset


class ContractEventInline(TenantScopedTabularInline):
    """The timeline: append-only, so read-only here."""

    model = ContractEvent
    fields = ("at", "kind", "transition", "from_state", "to_state", "actor_label", "note")
    readonly_fields = fields
    ordering = ("at", "id")
    read_only = True
    can_delete = False
    max_num = 0
    verbose_name_plural = _("timeline")


# --- contracts --------------------------------------------------------------------------------


def _transition_label(name: str):
    transitions = getattr(Contract, name)._django_fsm.transitions
    return next(iter(transitions.values())).custom.get("label", name)


def _needs_reason(name: str) -> bool:
    transitions = getattr(Contract, name)._django_fsm.transitions
    return any(t.custom.get("note_required") for t in transitions.values())


def _transition_action(name: str):
    def action(modeladmin, request, queryset):
        modeladmin.transition_selected(request, queryset, name)

    action.__name__ = f"transition_{name}"
    return admin.action(description=_transition_label(name), permissions=["change"])(action)


# The transitions that need no reason; suspending and terminating ask for one on the contract page.
TRANSITION_ACTIONS = [_transition_action(name) for name in TRANSITIONS if not _needs_reason(name)]


@admin.register(Contract)
class ContractAdmin(TenantScopedAdmin):
    list_display = (
        "number", "title", "client", "provider", "state", "start_date", "end_date", "monthly_fee", "currency",
    )
    list_display_links = ("number", "title")
    list_filter = ("state", ("client", admin.RelatedOnlyFieldListFilter), "review_cadence", "currency")
    list_select_related = ("client", "provider")
    search_fields = ("number", "title", "client__name")
    ordering = ("-created_at", "-id")
    readonly_fields = ("state", "created_by", "created_at", "updated_at")
    actions = TRANSITION_ACTIONS
    inlines = (ContractPartyInline, ContractRoleInline, ContractEventInline)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("number", "title", "client", "provider", "state", "description")}),
            (_("Term"), {"fields": ("start_date", "end_date")}),
            (_("Money"), {"fields": (
                "currency", "monthly_fee", "quality_share_pct", "penalty_cap_pct", "payment_terms_days", "invoice_day",
            )}),
            (_("Acceptance and reviews"), {"fields": ("acceptance_days", "review_cadence")}),
        ]
        if obj is not None:
            fieldsets.append((_("Record"), {"fields": ("created_by", "created_at", "updated_at")}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.terms_editable:
            # a signed contract changes its terms only by amendment
            fields += [name for name in CONTRACT_TERMS if name not in CONTRACT_FIELDS_ALWAYS_EDITABLE]
        return fields

    def get_inlines(self, request, obj):
        # the service adds the client and the provider as parties when it creates the contract
        return self.inlines if obj is not None else ()

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if current_tenant_id() is not None:
            own = Provider.objects.filter(is_own=True).values_list("pk", flat=True).first()
            initial.setdefault("provider", own)
        return initial

    def save_model(self, request, obj, form, change):
        with service_call():
            if change:
                contract_update(contract=obj, actor=request.user, via=VIA_ADMIN,
                                **form_changes(form, CONTRACT_TERMS))
            else:
                adopt(obj, contract_create(actor=request.user, via=VIA_ADMIN,
                                           **form_values(form, CONTRACT_TERMS)))

    def save_formset(self, request, form, formset, change):
        if formset.model is ContractParty:
            self._save_parties(request, formset)
        elif formset.model is ContractRole:
            self._save_roles(request, formset)
        else:  # the timeline is read-only: nothing of it is saved
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def _save_parties(self, request, formset):
        contract = formset.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        indexed = list(enumerate(formset.forms))
        for index, form in indexed:  # removals first, so an organisation may leave and come back
            if is_deleted(form) and form.instance.pk is not None:
                with service_call(prefix=formset.prefix, index=index):
                    party = ContractParty.objects.select_related("client", "provider").get(pk=form.instance.pk)
                    contract_party_remove(party=party, actor=request.user, via=VIA_ADMIN)
                formset.deleted_objects.append(party)
        for index, form in indexed:
            if is_deleted(form) or not form.has_changed():
                continue
            if form.instance.pk is None:
                with service_call(prefix=formset.prefix, index=index):
                    party = contract_party_add(
                        contract=contract, actor=request.user, via=VIA_ADMIN,
                        **form_values(form, ("kind", "provider", "representative", "basis", "responsibilities")),
                    )
                formset.new_objects.append(party)
            else:
                # who signs and on what basis: details no service changes and the timeline omits
                form.save()
                formset.changed_objects.append((form.instance, form.changed_data))

    def _save_roles(self, request, formset):
        contract = formset.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        removals = []
        for index, form in enumerate(formset.forms):
            if form.instance.pk is not None and (is_deleted(form) or form.has_changed()):
                removals.append((index, form))
            if is_deleted(form) or not form.has_changed():
                continue
            # a new cell, or a changed one: assign first, so an active contract is never unstaffed
            with service_call(prefix=formset.prefix, index=index):
                assignment = contract_role_assign(contract=contract, actor=request.user, via=VIA_ADMIN,
                                                  **form_values(form, ("role", "user")))
            if form.instance.pk is None:
                formset.new_objects.append(assignment)
            else:
                formset.changed_objects.append((assignment, form.changed_data))
        for index, form in removals:
            with service_call(prefix=formset.prefix, index=index):
                original = ContractRole.objects.select_related("user").get(pk=form.instance.pk)
                contract_role_remove(assignment=original, actor=request.user, via=VIA_ADMIN)
            if is_deleted(form):
                formset.deleted_objects.append(original)

    def transition_selected(self, request, queryset, name: str) -> None:
        """Fire `name` on each selected contract through the service; say which ones refused."""
        done = []
        for contract in queryset.order_by("number"):
            try:
                contract_transition(contract=contract, name=name, actor=request.user, via=VIA_ADMIN)
            except DomainError as error:
                self.message_user(
                    request,
                    gettext("%(number)s: %(reason)s") % {"number": contract.number, "reason": error.message},
                    messages.WARNING,
                )
            else:
                done.append(contract.number)
        if done:
            self.message_user(
                request,
                gettext("%(action)s: %(numbers)s.") % {"action": _transition_label(name), "numbers": ", ".join(done)},
                messages.SUCCESS,
            )


# --- obligations ------------------------------------------------------------------------------

from . import obligations as obligation_services  # noqa: E402
from .models import Obligation, ObligationOccurrence, ObligationTemplate  # noqa: E402

_OBLIGATION_ADMIN_FIELDS = ("contract", "title", "description", "owner", "rule", "day", "month", "business_days",
                            "reminder_days", "starts_on", "is_active")


@admin.register(ObligationTemplate)
class ObligationTemplateAdmin(TenantScopedAdmin):
    list_display = ("title", "rule", "day", "month", "business_days", "reminder_days")
    search_fields = ("title",)
    fields = obligation_services.TEMPLATE_FIELDS

    def save_model(self, request, obj, form, change):
        with service_call():
            if change:
                obligation_services.obligation_template_update(
                    template=obj, actor=request.user, **form_values(form, obligation_services.TEMPLATE_FIELDS))
            else:
                adopt(obj, obligation_services.obligation_template_create(
                    actor=request.user, **form_values(form, obligation_services.TEMPLATE_FIELDS)))


@admin.register(Obligation)
class ObligationAdmin(TenantScopedAdmin):
    """Created and changed through the services: the rule is checked, the timeline records it and
    the occurrences follow the rule."""

    list_display = ("title", "contract", "owner", "rule", "day", "month", "business_days", "is_active")
    list_filter = ("is_active", "rule")
    list_select_related = ("contract", "owner")
    search_fields = ("title", "contract__number")
    fields = (*_OBLIGATION_ADMIN_FIELDS, "template")
    readonly_fields = ("template",)

    def get_readonly_fields(self, request, obj=None):
        return ("template", "contract") if obj is not None else ("template",)

    def save_model(self, request, obj, form, change):
        names = [n for n in _OBLIGATION_ADMIN_FIELDS if n != "contract"]
        with service_call():
            if change:
                obligation_services.obligation_update(obligation=obj, actor=request.user, via=VIA_ADMIN,
                                                      **form_changes(form, names))
            else:
                values = form_values(form, names)
                values.pop("is_active", None)
                adopt(obj, obligation_services.obligation_create(
                    contract=form.cleaned_data["contract"], actor=request.user, via=VIA_ADMIN, **values))


@admin.register(ObligationOccurrence)
class ObligationOccurrenceAdmin(TenantScopedAdmin):
    """Read-only here: an occurrence is done on its page, with evidence, by its owner."""

    read_only = True
    list_display = ("obligation", "due_date", "state", "done_at", "done_by")
    list_filter = ("state",)
    list_select_related = ("obligation", "done_by")
    date_hierarchy = "due_date"
    search_fields = ("obligation__title", "obligation__contract__number")


@admin.register(Amendment)
class AmendmentAdmin(TenantScopedAdmin):
    """Read-only here: amendments are proposed, agreed and applied on their pages, by the two sides."""

    read_only = True
    list_display = ("number", "contract", "effective_date", "state", "proposed_side", "proposed_by", "applied_at")
    list_filter = ("state", "proposed_side")
    list_select_related = ("contract", "proposed_by")
    date_hierarchy = "effective_date"
    search_fields = ("number", "contract__number", "reason")


@admin.register(ContractVersion)
class ContractVersionAdmin(TenantScopedAdmin):
    """Read-only: a version is written by activation, an applied amendment or termination."""

    read_only = True
    list_display = ("contract", "number", "effective_from", "note", "created_at")
    list_select_related = ("contract",)
    search_fields = ("contract__number",)
