"""People in the REST API (/api/v1/members/, /api/v1/invitations/): for an HR system or an identity
provider keeping a tenant's members in step.

- `GET /members/` (filters `role`, `active`, `client`), `GET /members/{id}/`, `PATCH /members/{id}/`
  (role, and client for a client role: `people.membership_change_role`), `POST /members/{id}/deactivate/`
  and `/reactivate/` (`people.membership_set_active`);
- `GET /invitations/` (the ones not accepted nor revoked unless `state` says otherwise),
  `POST /invitations/` (`people.invitation_create`: the link goes out by e-mail), `POST
  /invitations/{id}/resend/`, `POST /invitations/{id}/revoke/`.

Tenant administrators only, as the members page (`TENANT_ADMINS`; the services refuse anyone else
too); an API key acts with its creator's role. The services refuse one's own membership and the last
administrator's (a 400 naming the field). No answer carries an invitation's token: it travels only in
the e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from . import people, selectors
from .api_base import TenantRelatedField, TenantViewSet
from .api_input import ApiFilterBackend, ApiOrderingFilter, ApiSearchFilter
from .models import Invitation, Membership
from .roles import CLIENT_ROLES, TENANT_ADMINS, Role

# --- members ------------------------------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.SerializerMethodField(help_text="First and last name; empty when the account has none.")
    email = serializers.CharField(source="user.email", read_only=True, help_text="May be empty.")
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    client_id = serializers.IntegerField(read_only=True, allow_null=True,
                                         help_text="The client a client role works for; null for a provider role.")
    is_active = serializers.BooleanField(read_only=True,
                                         help_text="false: deactivated, no access until reactivated.")
    joined = serializers.DateTimeField(source="created_at", read_only=True)
    last_login = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)

    def get_full_name(self, membership) -> str:
        return membership.user.get_full_name()


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False,
                                   help_text="Left out: the member's current role.")
    client = TenantRelatedField(
        scope=selectors.tenant_clients, required=False, allow_null=True,
        help_text="Required for a client role, null for a provider role. Left out: the member's current client "
                  "when the role is a client role, none otherwise.",
    )


class MemberFilter(filters.FilterSet):
    role = filters.MultipleChoiceFilter(choices=Role.choices, distinct=False,
                                        help_text="Repeat to match any of several roles: ?role=admin&role=engineer")
    active = filters.BooleanFilter(field_name="is_active", help_text="true: active members; false: deactivated ones.")
    client = filters.ModelChoiceFilter(queryset=lambda request: selectors.tenant_clients(),
                                       help_text="The members of one client (client roles).")

    class Meta:
        model = Membership
        fields = ["role", "active", "client"]


@extend_schema_view(
    list=extend_schema(
        summary="List members",
        description="The organisation's members, active and deactivated, with their role and (for a client role) "
                    "client. Sorted by username unless `ordering` says otherwise. Administrators only.",
    ),
    retrieve=extend_schema(summary="Get a member", description="One member of the organisation."),
)
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's memberships: read them, change a role, deactivate or reactivate one."""

    model = Membership
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    filter_backends = [ApiFilterBackend, ApiSearchFilter, ApiOrderingFilter]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["username", "joined", "id"]
    ordering = ["username", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = "[0-9]+"
    read_roles = TENANT_ADMINS
    write_roles = TENANT_ADMINS

    def scoped_queryset(self):
        return selectors.member_list().annotate(username=F("user__username"), joined=F("created_at"))

    def member(self, pk) -> Membership:
        try:
            return selectors.member_get(membership_id=int(pk))
        except (Membership.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.member(pk)))

    @extend_schema(
        summary="Change a member's role",
        request=MemberUpdateSerializer, responses=MemberSerializer,
        description="Gives the member another role, and the client a client role works for. Recorded on the "
                    "membership's trail. Refused (400) for your own membership (`role`) and when it would leave "
                    "the organisation without an active administrator (`last_admin`).",
    )
    def partial_update(self, request, pk=None):
        membership = self.member(pk)
        data = self.validated(MemberUpdateSerializer, partial=True)
        role = data.get("role", membership.role)
        if "client" in data:
            client = data["client"]
        else:
            client = membership.client if role in CLIENT_ROLES else None
        people.membership_change_role(membership=membership, actor=request.user, role=role, client=client)
        return Response(self.serialized(self.member(membership.pk)))

    def _set_active(self, request, pk, active: bool):
        membership = self.member(pk)
        people.membership_set_active(membership=membership, actor=request.user, active=active)
        return Response(self.serialized(self.member(membership.pk)))

    @extend_schema(
        summary="Deactivate a member", request=None, responses=MemberSerializer,
        description="The person loses access to the organisation at once (their API keys too); nothing of theirs "
                    "is deleted. Deactivating a deactivated member changes nothing. Refused (400) for yourself "
                    "and for the last active administrator.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def deactivate(self, request, pk=None):
        return self._set_active(request, pk, False)

    @extend_schema(
        summary="Reactivate a member", request=None, responses=MemberSerializer,
        description="Gives a deactivated member their access back, with the role they had. Refused (400) for "
                    "yourself.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reactivate(self, request, pk=None):
        return self._set_active(request, pk, True)


# --- invitations --------------------------------------------------------------------------------

OPEN, EXPIRED, ACCEPTED, REVOKED = "open", "expired", "accepted", "revoked"
STATES = [OPEN, EXPIRED, ACCEPTED, REVOKED]


def invitation_state(invitation: Invitation, now=None) -> str:
    if invitation.used_at is not None:
        return ACCEPTED
    if invitation.revoked_at is not None:
        return REVOKED
    return EXPIRED if invitation.expires_at <= (now or timezone.now()) else OPEN


def _state_q(state: str, now) -> Q:
    pending = Q(used_at__isnull=True, revoked_at__isnull=True)
    return {
        OPEN: pending & Q(expires_at__gt=now),
        EXPIRED: pending & Q(expires_at__lte=now),
        ACCEPTED: Q(used_at__isnull=False),
        REVOKED: Q(used_at__isnull=True, revoked_at__isnull=False),
    }[state]


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    client_id = serializers.IntegerField(read_only=True, allow_null=True)
    language = serializers.CharField(read_only=True, help_text="The language of the e-mail.")
    state = serializers.SerializerMethodField(
        help_text="open: the link works; expired: it no longer does (send it again); accepted; revoked.")
    invited_by_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="The inviting user's id.")
    created_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, help_text="When the link was last sent.")
    expires_at = serializers.DateTimeField(read_only=True)
    accepted_at = serializers.DateTimeField(source="used_at", read_only=True, allow_null=True)
    accepted_by_id = serializers.IntegerField(read_only=True, allow_null=True,
                                              help_text="The user who accepted it (their `user_id` as a member).")
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=[(s, s) for s in STATES]))
    def get_state(self, invitation) -> str:
        return invitation_state(invitation, self.context.get("now"))


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    client = TenantRelatedField(scope=selectors.tenant_clients, required=False, allow_null=True, default=None,
                                help_text="Required for a client role; null or left out for a provider role.")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, default="",
                                       help_text="The language of the e-mail; left out: the site's default.")


class InvitationFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(
        choices=[(s, s) for s in STATES], method="filter_state",
        help_text="Repeat to match any of several states. Left out: open and expired ones (not accepted nor "
                  "revoked), as the members page lists them.",
    )
    role = filters.MultipleChoiceFilter(choices=Role.choices, distinct=False)

    class Meta:
        model = Invitation
        fields = ["state", "role"]

    def filter_state(self, queryset, name, value):
        if not value:
            return queryset
        now = timezone.now()
        q = Q()
        for state in value:
            q |= _state_q(state, now)
        return queryset.filter(q)


@extend_schema_view(
    list=extend_schema(
        summary="List invitations",
        description="The organisation's invitations, newest sent first. Without `state`, the ones not accepted "
                    "nor revoked (open and expired). No invitation's link or token is ever shown.",
    ),
)
class InvitationViewSet(mixins.ListModelMixin, TenantViewSet):
    """Invitations by e-mail: send one, send it again with a new link, revoke it."""

    model = Invitation
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    filter_backends = [ApiFilterBackend, ApiSearchFilter, ApiOrderingFilter]
    search_fields = ["email", "first_name", "last_name"]
    ordering_fields = ["sent_at", "expires_at", "email", "role", "id"]
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = "[0-9]+"
    read_roles = TENANT_ADMINS
    write_roles = TENANT_ADMINS

    def scoped_queryset(self):
        return Invitation.objects.order_by("-sent_at", "-id")

    def filter_queryset(self, queryset):
        if self.action == "list" and not self.request.query_params.getlist("state"):
            queryset = queryset.filter(used_at__isnull=True, revoked_at__isnull=True)
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("now", timezone.now())
        return context

    def invitation(self, pk) -> Invitation:
        try:
            return Invitation.objects.get(pk=int(pk))
        except (Invitation.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound() from None

    def _answer(self, invitation: Invitation, code=status.HTTP_200_OK) -> Response:
        # read again: the service's instance is the one it locked, without the token's trace
        return Response(self.serialized(self.invitation(invitation.pk), InvitationSerializer), status=code)

    @extend_schema(
        summary="Invite someone",
        request=InvitationCreateSerializer, responses={201: InvitationSerializer},
        description="Invites the address to the organisation with a role (and the client, for a client role). The "
                    "link is e-mailed to the person and valid for seven days; it is not in the answer. Refused "
                    "(400, `email`) when the address already belongs to a member or has an open invitation; an "
                    "expired invitation to it is revoked first.",
    )
    def create(self, request):
        invitation, _raw = people.invitation_create(actor=request.user, **self.validated(InvitationCreateSerializer))
        return self._answer(invitation, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send an invitation again", request=None, responses=InvitationSerializer,
        description="E-mails a new link, valid for another seven days; the previous link stops working. Refused "
                    "(400) for an accepted or revoked invitation.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resend(self, request, pk=None):
        invitation, _raw = people.invitation_resend(invitation=self.invitation(pk), actor=request.user)
        return self._answer(invitation)

    @extend_schema(
        summary="Revoke an invitation", request=None, responses=InvitationSerializer,
        description="The link stops working. Refused (400) for an accepted or already revoked invitation.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def revoke(self, request, pk=None):
        invitation = people.invitation_revoke(invitation=self.invitation(pk), actor=request.user)
        return self._answer(invitation)


def register(router) -> None:
    router.register("members", MemberViewSet, basename="api-member")
    router.register("invitations", InvitationViewSet, basename="api-invitation")
