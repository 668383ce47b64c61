"""Tenants, memberships, API keys and notifications in the Django admin.

- **Tenants** are the platform's, not a tenant's: a superuser lists, adds (through `tenant_create`,
  which also makes the tenant's own provider) and changes them. A tenant's administrator sees
  only the current tenant, read-only. Nobody deletes a tenant here.
- **Memberships** (users and their roles) belong to the current tenant and to its administrators.
  A membership is added for an existing account, named by username or email, through
  `membership_create`; it is ended by unticking "active", not deleted, and an administrator cannot
  take away their own access.
- **API keys** are created on the API keys page, which shows the raw key once; here the tenant's
  administrators list them (never the hash) and revoke them through `api_key_revoke`.
- **Notifications** are a read-only log of what the platform told the tenant's users.
- **Outgoing e-mails** are a read-only log of every message sent (or failing) with its attempts.
- **Invitations** are a read-only log; they are sent, resent and revoked on the members page.

The rules every tenant-owned admin keeps are in tenancy/admin_base.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_base import PlatformAdmin, TenantScopedAdmin, adopt, service_call
from .errors import DomainError
from .legal import LEGAL_FIELDS
from .models import ApiKey, Invitation, Membership, Notification, OutboundMessage, Tenant
from .people import membership_change_role, membership_set_active
from .roles import CLIENT_ROLES, TENANT_ADMINS
from .services import api_key_revoke, membership_create, tenant_create

# --- tenants ----------------------------------------------------------------------------------


@admin.register(Tenant)
class TenantAdmin(PlatformAdmin):
    tenant_lookup = "pk"
    list_display = ("name", "slug", "currency", "vat_rate", "time_zone", "created_at")
    search_fields = ("name", "slug")
    fieldsets = [
        (None, {"fields": ("name", "slug", "currency", "vat_rate", "time_zone", "language", "created_at")}),
        (_("Legal details"), {"fields": ("legal_name", *LEGAL_FIELDS)}),
    ]
    readonly_fields = ("created_at",)
    prepopulated_fields = {"slug": ("name",)}

    def get_fieldsets(self, request, obj=None):
        # a new tenant's mail language is the site's; it is chosen afterwards, on the change form
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "language"]})
                for name, options in fieldsets]

    def has_delete_permission(self, request, obj=None):
        return False  # a tenant's rows are PROTECTed; ending a tenant is not an admin click

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        tenant = tenant_create(
            name=obj.name, slug=obj.slug, vat_rate=obj.vat_rate, time_zone=obj.time_zone,
        )
        if tenant.currency != obj.currency:
            tenant.currency = obj.currency
            tenant.save(update_fields=["currency"])
        adopt(obj, tenant)


# --- memberships ------------------------------------------------------------------------------


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        # the admin adds `client` with the current tenant's choices (none exist at import time)
        fields = ("role", "is_active")

    def clean(self):
        cleaned_data = super().clean()
        role = cleaned_data.get("role")
        if role and (role in CLIENT_ROLES) != (cleaned_data.get("client") is not None):
            self.add_error("client", _("Client roles need a client; provider roles must not have one."))
        return cleaned_data


class MembershipAddForm(MembershipForm):
    """A membership for an existing account, named by its username or email."""

    person = forms.CharField(
        label=_("User"), max_length=254,
        help_text=_("Username or email of an existing account."),
    )

    class Meta(MembershipForm.Meta):
        fields = ("role",)

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        users = list(
            get_user_model()._default_manager.filter(
                Q(username__iexact=value) | Q(email__iexact=value), is_active=True
            )[:2]
        )
        if not users:
            raise forms.ValidationError(_("No active account has this username or email."))
        if len(users) > 1:
            raise forms.ValidationError(_("Several accounts have this email; enter the username."))
        if Membership.objects.filter(user=users[0]).exists():
            raise forms.ValidationError(_("This user is already a member of your organisation."))
        return users[0]


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    manage_roles = TENANT_ADMINS
    form = MembershipForm
    list_display = ("user", "full_name", "email", "role", "client", "is_active", "created_at")
    list_filter = ("role", "is_active")
    list_select_related = ("user", "client")
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name")
    ordering = ("user__username",)

    @admin.display(description=_("name"), ordering="user__last_name")
    def full_name(self, obj) -> str:
        return obj.user.get_full_name()

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj) -> str:
        return obj.user.email

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("person", "role", "client")
        return ("user", "role", "client", "is_active", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "created_at") if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        with service_call():
            if not change:
                adopt(obj, membership_create(
                    tenant=request.tenant, user=form.cleaned_data["person"],
                    role=form.cleaned_data["role"], client=form.cleaned_data.get("client"),
                ))
                return
            # through the members page's services: the same rules (never one's own, never the last
            # administrator) and each change on the membership's trail
            original = Membership.objects.get(pk=obj.pk)
            if (obj.role, obj.client_id) != (original.role, original.client_id):
                original = membership_change_role(membership=original, actor=request.user, role=obj.role,
                                                  client=obj.client)
            if obj.is_active != original.is_active:
                membership_set_active(membership=original, actor=request.user, active=obj.is_active)


# --- API keys ---------------------------------------------------------------------------------


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    """List and revoke; keys are created on the API keys page, which shows the raw key once."""

    manage_roles = TENANT_ADMINS
    read_only = True
    list_display = (
        "name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "expires_at", "revoked_at", "usable",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("created_by",)
    search_fields = ("name", "prefix")
    # never the hash: it is not secret, but nobody needs it
    fields = ("name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    @admin.display(description=_("usable"), boolean=True)
    def usable(self, obj) -> bool:
        return obj.is_usable

    def has_revoke_permission(self, request) -> bool:
        return self.member_may(request, TENANT_ADMINS)

    @admin.action(description=_("Revoke the selected keys"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            try:
                api_key_revoke(actor=request.user, key=key)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                return
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d key revoked: it no longer opens the API.",
                     "%(count)d keys revoked: they no longer open the API.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


# --- notifications ----------------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(TenantScopedAdmin):
    manage_roles = TENANT_ADMINS
    read_only = True
    list_display = ("title", "user", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("title", "user__username")
    fields = ("user", "kind", "title", "body", "url", "created_at", "read_at")
    readonly_fields = fields


@admin.register(OutboundMessage)
class OutboundMessageAdmin(TenantScopedAdmin):
    manage_roles = TENANT_ADMINS
    read_only = True
    list_display = ("created_at", "to", "subject", "template", "state", "attempts", "sent_at")
    list_filter = ("state", "template")
    search_fields = ("to", "subject", "message_id")
    fields = ("to", "user", "template", "language", "subject", "url", "state", "attempts", "last_error",
              "created_at", "last_attempt_at", "sent_at", "message_id", "reply_to")
    readonly_fields = fields


# --- invitations and profiles -----------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(TenantScopedAdmin):
    """A read-only log of the tenant's invitations (sent, resent and revoked on the members page);
    never the token's hash."""

    manage_roles = TENANT_ADMINS
    read_only = True
    list_display = ("email", "role", "client", "invited_by", "sent_at", "expires_at", "used_at", "revoked_at")
    list_filter = ("role",)
    list_select_related = ("client", "invited_by")
    search_fields = ("email", "first_name", "last_name")
    fields = ("email", "first_name", "last_name", "role", "client", "language", "invited_by", "created_at",
              "sent_at", "expires_at", "used_at", "accepted_by", "revoked_at")
    readonly_fields = fields
