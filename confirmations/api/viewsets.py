"""API viewsets: acts (list, detail, create, change lines, send, sign, dispute, PDFs, history) and the
public verification of a sealed PDF.

Client-side users see only their client's acts and never drafts; another tenant's or another
client's act answers 404 like a missing one. Signing needs the signatory's own browser session
(with the password or an emailed code in the body), never an API key.
"""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from contracts.models import Contract
from tenancy.api_base import ApiAutoSchema, ErrorSerializer, TenantViewSet
from tenancy.api_rows import FastListMixin
from tenancy.errors import DomainError
from tenancy.models import ApiKey
from tenancy.roles import CLIENT_ROLES, CONTRACT_MANAGERS, PROVIDER_ROLES, Role, client_scope_of

from .. import selectors, services
from ..models import Act, ActState
from ..services import MAX_VERIFY_BYTES, OrderRatingInput, SignInput
from ..views import pdf_response, request_ip
from .serializers import (
    ActCreateSerializer,
    ActDetailSerializer,
    ActEventSerializer,
    ActSerializer,
    ActUpdateSerializer,
    DisputeSerializer,
    SignSerializer,
    VerifyRequestSerializer,
    VerifyResultSerializer,
)

ACT_WRITERS = CONTRACT_MANAGERS | {Role.CLIENT_ADMIN, Role.CLIENT_SIGNATORY}
PDF_RESPONSE = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")}


class ActFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=lambda request: Contract.objects.all())
    state = filters.ChoiceFilter(choices=ActState.choices)
    period_from = filters.DateFilter(field_name="period_end", lookup_expr="gte",
                                     help_text="Acts whose period ends on or after this day.")
    period_to = filters.DateFilter(field_name="period_start", lookup_expr="lte",
                                   help_text="Acts whose period starts on or before this day.")


class ActViewSet(FastListMixin, mixins.ListModelMixin, TenantViewSet):
    """Acts of completed work. State changes only through the actions."""

    model = Act
    serializer_class = ActSerializer
    filterset_class = ActFilter
    ordering_fields = ["number", "period_start", "period_end", "amount", "state", "accept_by", "created_at"]
    search_fields = ["number", "contract__number", "client__name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_roles = PROVIDER_ROLES | CLIENT_ROLES
    write_roles = ACT_WRITERS
    conflict_actions = ("send", "sign", "dispute", "partial_update", "request_code")

    @cached_property
    def client_id(self) -> int | None:
        return client_scope_of(self.request.user)

    def scoped_queryset(self):
        return selectors.act_list(client_id=self.client_id)

    def act_detail(self, act_id) -> Act:
        try:
            return selectors.act_get(act_id=act_id, client_id=self.client_id)
        except (Act.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.act_detail(pk), ActDetailSerializer))

    @extend_schema(request=ActCreateSerializer, responses={201: ActDetailSerializer},
                   description="An account manager assembles a draft act for a contract and period: lines from the "
                   "period's delivered orders not yet in another act, the contract's fixed monthly service, or "
                   "both (`basis`), unless `lines` are given.")
    def create(self, request):
        data = dict(self.validated(ActCreateSerializer))
        act = services.act_create(actor=request.user, via=self.via, **data)
        return Response(self.serialized(self.act_detail(act.pk), ActDetailSerializer), status=status.HTTP_201_CREATED)

    @extend_schema(request=ActUpdateSerializer, responses=ActDetailSerializer,
                   description="Replace the lines (and language) of a draft or disputed act.")
    def partial_update(self, request, pk=None):
        act = self.act_detail(pk)
        services.act_update(act=act, actor=request.user, via=self.via, **self.validated(ActUpdateSerializer))
        return Response(self.serialized(self.act_detail(pk), ActDetailSerializer))

    @extend_schema(summary="Send", request=None, responses=ActDetailSerializer,
                   description="Send a draft act to the client, or re-send a disputed one as the next revision. "
                   "The PDF is rendered and its SHA-256 fixed by a worker; `preparing` is true until then. Sending an act "
                   "that is still `preparing` queues its rendering again (same revision).")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def send(self, request, pk=None):
        services.act_send(act=self.act_detail(pk), actor=request.user, via=self.via)
        return Response(self.serialized(self.act_detail(pk), ActDetailSerializer))

    def _session_only(self, request) -> None:
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied(_("Acts are signed by the signatory in person: use the portal session, not an "
                                     "API key."))

    @extend_schema(summary="Sign", request=SignSerializer,
                   responses={200: ActDetailSerializer, 429: OpenApiResponse(
                       ErrorSerializer, description="`locked_out`: too many wrong passwords or codes; the message says "
                       "until when signing is locked for this user.")},
                   description="The client's signatory accepts a sent act: ratings 1–5 (overall and per order; 2 or "
                   "less needs a comment), the password re-entered (or `method=email_code` with the emailed code) "
                   "and `consent`. Session authentication only. 409 when the act is not waiting for a signature. Five wrong "
                   "passwords or codes within 15 minutes lock the user's signing for 15 minutes (429).")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def sign(self, request, pk=None):
        self._session_only(request)
        act = self.act_detail(pk)
        data = self.validated(SignSerializer)
        sign_input = SignInput(
            rating=data["rating"], comment=data["comment"], consent=data["consent"], method=data["method"],
            password=data["password"], code=data["code"],
            order_ratings=[OrderRatingInput(order=r["order"], rating=r["rating"], comment=r["comment"])
                           for r in data["order_ratings"]],
            ip_address=request_ip(request), user_agent=request.headers.get("User-Agent", ""))
        services.act_sign(act=act, actor=request.user, data=sign_input, via="portal")
        return Response(self.serialized(self.act_detail(pk), ActDetailSerializer))

    @extend_schema(summary="Email a signing code", request=None, responses={202: None},
                   description="Send the signatory a one-time code (valid 10 minutes, 5 attempts) to sign with.")
    @action(detail=True, methods=["post"], url_path="request-code", url_name="request-code", filter_backends=[],
            pagination_class=None)
    def request_code(self, request, pk=None):
        self._session_only(request)
        services.signing_code_send(act=self.act_detail(pk), actor=request.user)
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Dispute", request=DisputeSerializer, responses=ActDetailSerializer,
                   description="The client's signatory refuses a sent act with a reason; it returns to the provider.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def dispute(self, request, pk=None):
        act = self.act_detail(pk)
        services.act_dispute(act=act, actor=request.user, reason=self.validated(DisputeSerializer)["reason"],
                             via=self.via)
        return Response(self.serialized(self.act_detail(pk), ActDetailSerializer))

    @extend_schema(summary="PDF", responses=PDF_RESPONSE, description="The PDF of the current revision.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def pdf(self, request, pk=None):
        act = self.act_detail(pk)
        if not act.pdf_sha256:
            raise NotFound(_("The PDF is not ready yet."))
        return pdf_response(act.pdf, f"{act.number}.pdf")

    @extend_schema(summary="Sealed PDF", responses=PDF_RESPONSE,
                   description="The signed act sealed with the provider's PAdES signature.")
    @action(detail=True, methods=["get"], url_path="sealed-pdf", url_name="sealed-pdf", filter_backends=[],
            pagination_class=None)
    def sealed_pdf(self, request, pk=None):
        act = self.act_detail(pk)
        if not act.sealed_sha256:
            raise NotFound(_("The act is not sealed yet."))
        return pdf_response(act.sealed_pdf, f"{act.number}-signed.pdf")

    @extend_schema(summary="History", responses=ActEventSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=ActEventSerializer, filter_backends=[])
    def events(self, request, pk=None):
        page = self.paginate_queryset(selectors.act_timeline(act=self.act_detail(pk)))
        return self.get_paginated_response(ActEventSerializer(page, many=True).data)

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=force or self.action in ("pdf", "sealed_pdf"))


class VerifyThrottle(AnonRateThrottle):
    scope = "verify"
    rate = "60/minute"


MULTIPART_SLACK = 64 * 1024  # the multipart envelope around the file


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class VerifyViewSet(viewsets.ViewSet):
    """Anyone holding a PDF may ask whether it is an act sealed by this platform (no login)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]
    throttle_classes = [VerifyThrottle]
    schema = ApiAutoSchema()

    @extend_schema(
        summary="Verify a sealed act", request=VerifyRequestSerializer,
        responses={200: VerifyResultSerializer,
                   413: OpenApiResponse(ErrorSerializer, description="The file is larger than 20 MB (`too_large`).")},
        auth=[], description="Upload a PDF (multipart, field `file`, at most 20 MB). 200 when it is an act sealed by "
        "this platform and unchanged, with who signed it and when; 400 `document_altered` when it carries the "
        "platform's seal but was changed after sealing (or the seal no longer reads); 400 `unknown_document` when it "
        "is not an act sealed here; 400 `not_pdf` when the file is not a PDF at all.",
    )
    def create(self, request):
        if _declared_length(request) > MAX_VERIFY_BYTES + MULTIPART_SLACK:
            raise services.FileTooLarge  # refused before the body is read
        serializer = VerifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > MAX_VERIFY_BYTES:
            raise services.FileTooLarge
        result = services.act_verify(pdf=upload.read())
        body = verification_body(result)
        if result.verdict == services.Verdict.ALTERED:
            raise DomainError(body["message"], field="file", code="document_altered")
        if result.verdict == services.Verdict.UNKNOWN:
            raise DomainError(body["message"], field="file", code="unknown_document" if result.is_pdf else "not_pdf")
        del body["message"]
        return Response(body)


def verification_body(result) -> dict:
    act, evidence = result.act, result.evidence
    body = {
        "verdict": result.verdict, "genuine": result.genuine, "sha256": result.sha256,
        "act_number": act.number if act else None, "provider": result.tenant_name or None,
        "client": act.client.name if act else None, "period_start": act.period_start if act else None,
        "period_end": act.period_end if act else None, "state": act.state if act else None,
        "signed_by": evidence.signer_name if evidence else None, "signed_at": evidence.signed_at if evidence else None,
        "method": evidence.method if evidence else None,
    }
    if result.verdict == services.Verdict.ALTERED and act is None:
        body["message"] = _("This PDF carries this platform's seal, but it has been changed since it was sealed or the "
                            "seal is damaged: it is not a signed act.")
    elif result.verdict == services.Verdict.ALTERED:
        body["message"] = _("This PDF carries the seal of %(provider)s for act %(number)s, but it has been changed "
                            "since it was sealed: it is not the signed act.") % {
            "provider": result.tenant_name or "?", "number": act.number if act else "?"}
    elif result.verdict == services.Verdict.UNKNOWN and not result.is_pdf:
        body["message"] = _("This file is not a PDF. Upload the PDF of the signed act, as you received it.")
    elif result.verdict == services.Verdict.UNKNOWN:
        body["message"] = _("This PDF is not an act signed and sealed on this platform.")
    else:
        body["message"] = _("Genuine: act %(number)s of %(provider)s, unchanged since it was sealed.") % {
            "number": act.number, "provider": result.tenant_name}
    return body



