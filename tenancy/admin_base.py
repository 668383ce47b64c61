"""The Django admin inside the tenant wall: `TenantScopedAdmin` and its inlines.

How the admin of a tenant-owned model behaves, and why:

- **The tenant is the request's.** `TenantMiddleware` sets the current tenant for /admin/ as for
  every page (the session's choice among the user's memberships, switched on
  /organisation/switch/). Querysets come from the model's scoped default manager, so they hold
  that tenant's rows only; PostgreSQL row-level security stands behind them.
- **Who may use it:** Django's `is_staff` (the admin site checks it) *and* an active membership in
  the current tenant with a role in `manage_roles` (to add and change) or `view_roles` (to look).
  Django's per-model permissions are not consulted: the tenant role is the authority, the same
  check the services make, so the admin never allows what the app refuses. Client-side roles
  never qualify.
- **Superusers get no bypass here.** A superuser works inside the current tenant with the role
  their membership gives, like anyone else: the fail-closed manager has no "all tenants" mode for
  the admin, and the services would refuse a role the admin let through. Without a membership a
  superuser sees the platform's own models (tenants, users) and no tenant's data.
- **No current tenant** (a staff user without a membership): no permissions, empty querysets and
  empty choices. The index lists nothing, a change list answers 403, an id answers 404 — never a
  500 from the fail-closed manager.
- **Ids:** another tenant's id (or a missing one) answers 404, the same answer for both, instead
  of Django's redirect to the index with "Perhaps it was deleted?".
- **Choices:** foreign keys to tenant-owned rows offer (and accept) the current tenant's rows only;
  a user field offers the tenant's active members only. The `tenant` column is never a form
  field (it is `editable=False` and set from the context when a row is created).
- **Writes go through the services** where one exists (subclasses override `save_model` and
  `save_formset` inside `service_call`). When a service refuses (`DomainError`), the whole save is
  rolled back (the admin's change view runs in one transaction) and the form is shown again with
  the service's message on the field it names; an `ActionForbidden` becomes a 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _

from .context import current_tenant_id
from .errors import DomainError
from .forms import add_domain_error
from .models import Tenant, TenantOwned
from .roles import CONTRACT_MANAGERS, TENANT_ADMINS, has_role
from .selectors import tenant_users

# How the audit trail names the admin as the way an actor reached us (cf. "API").
VIA_ADMIN = "admin"

_REFUSAL = "_admin_service_refusal"


class ServiceRefused(Exception):
    """A service refused a write made from an admin form; says which form to show it on.

    `prefix` is the inline formset's prefix (None for the main form), `index` the form in it.
    """

    def __init__(self, error: DomainError, *, prefix: str | None = None, index: int | None = None):
        super().__init__(str(error))
        self.error = error
        self.prefix = prefix
        self.index = index


@contextmanager
def service_call(*, prefix: str | None = None, index: int | None = None) -> Iterator[None]:
    """Run a service for an admin form; a DomainError becomes a ServiceRefused for that form."""
    try:
        yield
    except DomainError as error:
        raise ServiceRefused(error, prefix=prefix, index=index) from error


def form_values(form, names: Iterable[str]) -> dict[str, Any]:
    """The cleaned values of the form's fields among `names` (read-only fields are not there)."""
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def form_changes(form, names: Iterable[str]) -> dict[str, Any]:
    """The cleaned values of the fields among `names` that the user changed."""
    wanted = set(names)
    return {name: form.cleaned_data[name] for name in form.changed_data if name in wanted}


def adopt(target, saved) -> None:
    """Make the admin's unsaved instance stand for the row a service created.

    The admin logs and redirects with the instance its form built; the service built its own.
    Values are copied through `__dict__` so a protected FSM field is not "assigned".
    """
    for field in saved._meta.concrete_fields:
        target.__dict__[field.attname] = saved.__dict__.get(field.attname)
    target._state.adding = False
    target._state.db = saved._state.db


def is_deleted(form) -> bool:
    return bool(getattr(form, "cleaned_data", {}).get("DELETE", False))


def scoped_choices(model):
    """The rows of `model` a form of the current tenant may offer, or None to leave Django's."""
    tenant_id = current_tenant_id()
    if model is Tenant:
        return Tenant.objects.filter(pk=tenant_id) if tenant_id is not None else Tenant.objects.none()
    if issubclass(model, TenantOwned):
        # the scoped manager; without a tenant it would raise, so offer nothing instead
        return model.objects.all() if tenant_id is not None else model._base_manager.none()
    if model is get_user_model():
        return tenant_users()
    return None


class TenantScopedMixin:
    """Permissions, querysets and choices of a tenant-owned model's admin (or inline)."""

    #: roles that may add, change (and, with `allow_delete`, delete)
    manage_roles: frozenset = CONTRACT_MANAGERS
    #: roles that may look; None means the same as `manage_roles`
    view_roles: frozenset | None = None
    #: nothing is added or changed here (a log, a timeline, a secret)
    read_only: bool = False
    #: rows are deleted here; off by default, since most tables are ended by a state or a flag
    allow_delete: bool = False

    # --- who ---------------------------------------------------------------------------------

    def member_may(self, request, roles) -> bool:
        """Staff, with an active membership of one of `roles` in the current tenant."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return current_tenant_id() is not None and has_role(user, roles)

    @staticmethod
    def is_own(obj) -> bool:
        return obj is None or obj.tenant_id == current_tenant_id()

    def has_view_permission(self, request, obj=None):
        return self.is_own(obj) and self.member_may(request, self.view_roles or self.manage_roles)

    def has_add_permission(self, request, obj=None):
        return not self.read_only and self.member_may(request, self.manage_roles)

    def has_change_permission(self, request, obj=None):
        return not self.read_only and self.is_own(obj) and self.member_may(request, self.manage_roles)

    def has_delete_permission(self, request, obj=None):
        return (
            self.allow_delete and not self.read_only and self.is_own(obj)
            and self.member_may(request, self.manage_roles)
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    # --- what --------------------------------------------------------------------------------

    def get_queryset(self, request):
        if current_tenant_id() is None:
            return self.model._base_manager.none()
        return super().get_queryset(request)  # the model's scoped default manager

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = scoped_choices(db_field.remote_field.model)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = scoped_choices(db_field.remote_field.model)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class TenantScopedAdmin(TenantScopedMixin, admin.ModelAdmin):
    """ModelAdmin of a tenant-owned model. See the module docstring for the rules it keeps."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # not yours and does not exist are the same answer
            raise Http404(_("No %(name)s matches the given query.") % {"name": self.opts.verbose_name})
        return obj

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            if getattr(request, _REFUSAL, None) is not None:
                # the refusal found no form to sit on: say it above the page instead
                self.message_user(request, " ".join(str(m) for m in refused.error.messages), messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            # the transaction is rolled back; validate the same input again, now with the refusal
            setattr(request, _REFUSAL, refused)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refused = getattr(request, _REFUSAL, None)
        if refused is None or refused.prefix is not None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                add_domain_error(self, refused.error)
                return cleaned_data

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def get_formsets_with_inlines(self, request, obj=None):
        refused = getattr(request, _REFUSAL, None)
        for formset_class, inline in super().get_formsets_with_inlines(request, obj):
            if refused is not None and refused.prefix is not None:
                formset_class = _formset_with_refusal(formset_class, refused)
            yield formset_class, inline


def _formset_with_refusal(formset_class, refused: ServiceRefused):
    class RefusedFormSet(formset_class):
        def clean(self):
            super().clean()
            if self.prefix != refused.prefix:
                return
            forms = self.forms
            if refused.index is not None and refused.index < len(forms):
                form = forms[refused.index]
                if not is_deleted(form):
                    add_domain_error(form, refused.error)
                    return
            # a deleted form's errors do not count, so say it above the inline
            raise ValidationError([str(message) for message in refused.error.messages])

    RefusedFormSet.__name__ = formset_class.__name__
    return RefusedFormSet


class TenantScopedTabularInline(TenantScopedMixin, admin.TabularInline):
    """Inline of a tenant-owned model: same permissions and choices as `TenantScopedAdmin`."""

    extra = 0


class PlatformAdmin(admin.ModelAdmin):
    """The admin of a platform-wide model (tenants, their rate limits): a superuser adds and changes
    every row; a tenant's administrator sees only the current tenant's row, read-only.

    `tenant_lookup` names the current tenant's row: `pk` for the tenant itself, `tenant_id` for a
    row of one tenant. Another tenant's id answers 404, like a missing one."""

    tenant_lookup = "tenant_id"

    @staticmethod
    def _is_platform_admin(request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.is_superuser

    def _is_tenant_admin(self, request, obj=None) -> bool:
        user = request.user
        tenant_id = current_tenant_id()
        return (
            user.is_active and user.is_staff and tenant_id is not None
            and (obj is None or getattr(obj, self.tenant_lookup) == tenant_id) and has_role(user, TENANT_ADMINS)
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._is_platform_admin(request):
            return queryset
        tenant_id = current_tenant_id()
        return queryset.filter(**{self.tenant_lookup: tenant_id}) if tenant_id is not None else queryset.none()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No %(name)s matches the given query.") % {"name": self.opts.verbose_name})
        return obj

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_platform_admin(request) or self._is_tenant_admin(request, obj)

    def has_add_permission(self, request):
        return self._is_platform_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_platform_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_platform_admin(request)

