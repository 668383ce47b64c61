"""The disputes part of the REST API (/api/v1/disputes/): list, open, read; escalate, resolve,
withdraw, move the deadline; documents (upload, list, download), messages and the timeline.

Provider staff see every dispute of the tenant; client users see only their client's (another
client's answers 404 like a missing one). Reads come from `disputes.selectors`; writes validate the
body, call `disputes.services` and render what the service returns.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from billing.models import InvoiceLine, InvoiceState
from confirmations.models import Act
from contracts.models import Contract
from tenancy.api_base import DateField, TenantRelatedField, TenantViewSet
from tenancy.bounds import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH
from tenancy.roles import CLIENT_ROLES, PROVIDER_ROLES, client_scope_of
from tenancy.uploads import attachment_response

from . import selectors, services
from .models import (
    Dispute,
    DisputeComment,
    DisputeDocument,
    DisputeEvent,
    DisputeKind,
    DisputeState,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
DISPUTE_READERS = PROVIDER_ROLES | CLIENT_ROLES
DISPUTE_WRITERS = services.PROVIDER_PARTIES | services.CLIENT_PARTIES


def _label(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _client_id(serializer) -> int | None:
    request = serializer.context.get("request")
    return client_scope_of(request.user) if request is not None else None


# --- serializers -------------------------------------------------------------------------------


class DisputeCreditSerializer(serializers.Serializer):
    credit_note = serializers.IntegerField(source="credit_note_id")
    number = serializers.CharField(source="credit_note.number")
    invoice = serializers.IntegerField(source="credit_note.invoice_id")
    invoice_number = serializers.CharField(source="credit_note.invoice.number")
    amount = serializers.DecimalField(**MONEY, help_text="Without VAT.")


class DisputeSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    act_number = serializers.SerializerMethodField()
    invoice = serializers.SerializerMethodField()
    opened_by_name = serializers.SerializerMethodField()
    credit_notes = DisputeCreditSerializer(source="credit_links", many=True, read_only=True,
                                           help_text="The credit notes paying the compensation.")

    class Meta:
        model = Dispute
        fields = ["id", "number", "contract", "contract_number", "client", "client_name", "kind", "act", "act_number",
                  "invoice_line", "invoice", "title", "description", "opened_by", "opened_by_name", "opened_side",
                  "claimed_amount", "state", "stage_started_on", "stage_deadline", "resolution_note",
                  "compensation", "resolved_at", "withdrawn_at", "created_at", "credit_notes"]
        read_only_fields = fields

    def get_act_number(self, dispute) -> str | None:
        return dispute.act.number if dispute.act_id else None

    def get_invoice(self, dispute) -> int | None:
        return dispute.invoice_line.invoice_id if dispute.invoice_line_id else None

    def get_opened_by_name(self, dispute) -> str:
        return _label(dispute.opened_by)


class DisputeCreateSerializer(serializers.Serializer):
    contract = TenantRelatedField(scope=lambda: Contract.objects.all(),
                                  help_text="A contract of the caller's organisation (a client user: of their client).")
    kind = serializers.ChoiceField(choices=DisputeKind.choices)
    act = TenantRelatedField(scope=lambda: Act.objects.all(), required=False, allow_null=True,
                             error_messages={"does_not_exist": _("Unknown act.")},
                             help_text="The disputed act (kind act only), of the same contract.")
    invoice_line = TenantRelatedField(scope=lambda: InvoiceLine.objects.all(), required=False, allow_null=True,
                                      error_messages={"does_not_exist": _("Unknown invoice line.")},
                                      help_text="The disputed line of an issued invoice (kind invoice_line only).")
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)
    claimed_amount = serializers.DecimalField(**MONEY, min_value=Decimal("0"), required=False, allow_null=True,
                                              help_text="What the opening side claims, without VAT.")
    stage_deadline = DateField(required=False, allow_null=True,
                               help_text="A later negotiation deadline than the contract's; never in the past.")

    def _scoped(self, value, message: str):
        client_id = _client_id(self)
        if value is not None and client_id is not None and value.client_id != client_id:
            raise serializers.ValidationError(message, code="does_not_exist")
        return value

    def validate_contract(self, value):
        return self._scoped(value, _("Unknown contract."))

    def validate_act(self, value):
        return self._scoped(value, _("Unknown act."))

    def validate_invoice_line(self, value):
        if value is None:
            return value
        client_id = _client_id(self)
        if client_id is not None and (value.invoice.client_id != client_id
                                      or value.invoice.state not in (InvoiceState.ISSUED, InvoiceState.PAID)):
            raise serializers.ValidationError(_("Unknown invoice line."), code="does_not_exist")
        return value


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH,
                                 help_text="Recorded in the dispute's timeline.")


class ResolveSerializer(serializers.Serializer):
    compensation = serializers.DecimalField(**MONEY, min_value=Decimal("0"),
                                            help_text="Agreed compensation without VAT (0 for none), credited on the "
                                            "contract's next issued invoice; never more than a claimed amount.")
    note = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text="What the parties agreed.")


class DeadlineSerializer(serializers.Serializer):
    stage_deadline = DateField(help_text="The current stage's new deadline (the tenant's date); never in the past.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


class DisputeDocumentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DisputeDocument
        fields = ["id", "name", "content_type", "size", "sha256", "side", "uploaded_by", "uploaded_by_name",
                  "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_uploaded_by_name(self, document) -> str:
        return _label(document.uploaded_by)

    def get_download_url(self, document) -> str:
        url = reverse("api-dispute-download-document", args=[document.dispute_id, document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class DisputeDocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True,  # the service says why an empty file is refused
                                 help_text="PDF, PNG, JPEG, GIF, WebP, TXT, LOG, CSV, XLSX, DOCX, ZIP or EML; at most "
                                 "ORDER_ATTACHMENT_MAX_BYTES (10 MB by default).")


class DisputeCommentSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = DisputeComment
        fields = ["id", "author", "author_name", "side", "body", "created_at"]
        read_only_fields = ["id", "author", "author_name", "side", "created_at"]
        extra_kwargs = {"body": {"max_length": TEXT_MAX_LENGTH}}

    def get_author_name(self, comment) -> str:
        return _label(comment.author)


class DisputeEventSerializer(serializers.ModelSerializer):
    who = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = DisputeEvent
        fields = ["id", "kind", "transition", "from_state", "to_state", "actor", "who", "at", "note", "data"]
        read_only_fields = fields


class DisputeFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=lambda request: Contract.objects.all())
    state = filters.ChoiceFilter(choices=DisputeState.choices)
    kind = filters.ChoiceFilter(choices=DisputeKind.choices)

    class Meta:
        model = Dispute
        fields = ["contract", "state", "kind"]


# --- the viewset -------------------------------------------------------------------------------


def _action_doc(summary: str, description: str, request):
    return extend_schema(summary=summary, request=request, responses=DisputeSerializer, description=description)


class DisputeViewSet(mixins.ListModelMixin, TenantViewSet):
    """Disputes between the provider and its clients, with stage deadlines. Stages change only
    through the actions."""

    model = Dispute
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilter
    search_fields = ["number", "title"]
    ordering_fields = ["created_at", "stage_deadline", "number", "state"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]
    read_roles = DISPUTE_READERS
    write_roles = DISPUTE_WRITERS
    conflict_actions = ("escalate", "resolve", "withdraw", "deadline")

    @cached_property
    def client_id(self) -> int | None:
        return client_scope_of(self.request.user)

    def scoped_queryset(self):
        return selectors.dispute_list(client_id=self.client_id).prefetch_related(
            "credit_links__credit_note__invoice")

    def dispute(self, pk) -> Dispute:
        try:
            return self.scoped_queryset().get(pk=pk)
        except (Dispute.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.dispute(pk)))

    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeSerializer},
                   description="Either party opens a dispute under a contract: about an act (`act`), a line of an "
                   "issued invoice (`invoice_line`) or a complaint (neither). It starts in negotiation with the "
                   "deadline from the contract's negotiation days, or a later `stage_deadline`. Client users: "
                   "client administrator or signatory, on their client's contracts.")
    def create(self, request):
        data = self.validated(DisputeCreateSerializer)
        dispute = services.dispute_open(actor=request.user, via=self.via, **data)
        return Response(self.serialized(self.dispute(dispute.pk)), status=status.HTTP_201_CREATED)

    @_action_doc("Escalate", "Either party takes the dispute from negotiation to mediation, or from mediation to "
                 "arbitration, before its deadline (the hourly task does it the day after the deadline). The new "
                 "stage's owner is told. 409 from arbitration or a closed dispute.", NoteSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def escalate(self, request, pk=None):
        dispute = self.dispute(pk)
        services.dispute_escalate(dispute=dispute, actor=request.user, via=self.via, **self.validated(NoteSerializer))
        return Response(self.serialized(self.dispute(pk)))

    @_action_doc("Resolve", "An administrator or account manager records the resolution the parties agreed and "
                 "the compensation, which the contract's next issued invoice receives as a credit note (linked "
                 "both ways). 409 when the dispute is closed.", ResolveSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resolve(self, request, pk=None):
        dispute = self.dispute(pk)
        services.dispute_resolve(dispute=dispute, actor=request.user, via=self.via, **self.validated(ResolveSerializer))
        return Response(self.serialized(self.dispute(pk)))

    @_action_doc("Withdraw", "The side that opened the dispute drops it. 409 when it is closed already.",
                 NoteSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request, pk=None):
        dispute = self.dispute(pk)
        services.dispute_withdraw(dispute=dispute, actor=request.user, via=self.via, **self.validated(NoteSerializer))
        return Response(self.serialized(self.dispute(pk)))

    @_action_doc("Move the deadline", "An administrator or account manager sets the current stage's deadline "
                 "(agreed with the client); a date in the past is a 400 naming `stage_deadline`.", DeadlineSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def deadline(self, request, pk=None):
        dispute = self.dispute(pk)
        services.dispute_set_deadline(dispute=dispute, actor=request.user, via=self.via,
                                      **self.validated(DeadlineSerializer))
        return Response(self.serialized(self.dispute(pk)))

    @extend_schema(summary="Timeline", responses=DisputeEventSerializer(many=True),
                   description="The dispute's append-only timeline, oldest first; both sides see all of it.")
    @action(detail=True, methods=["get"], serializer_class=DisputeEventSerializer, filter_backends=[])
    def events(self, request, pk=None):
        page = self.paginate_queryset(selectors.dispute_timeline(dispute=self.dispute(pk)))
        return self.get_paginated_response(DisputeEventSerializer(page, many=True).data)

    @extend_schema(methods=["get"], summary="Messages", responses=DisputeCommentSerializer(many=True),
                   description="The thread between the parties, oldest first.")
    @extend_schema(methods=["post"], summary="Write a message", request=DisputeCommentSerializer,
                   responses={201: DisputeCommentSerializer}, description="Both sides see every message.")
    @action(detail=True, methods=["get", "post"], serializer_class=DisputeCommentSerializer, filter_backends=[])
    def comments(self, request, pk=None):
        dispute = self.dispute(pk)
        if request.method == "POST":
            data = self.validated(DisputeCommentSerializer)
            comment = services.dispute_comment(dispute=dispute, actor=request.user, body=data["body"], via=self.via)
            return Response(DisputeCommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.dispute_comments(dispute=dispute))
        return self.get_paginated_response(DisputeCommentSerializer(page, many=True).data)

    @extend_schema(methods=["get"], summary="Documents", responses=DisputeDocumentSerializer(many=True),
                   description="The dispute's documents (metadata), oldest first, each with a `download_url`.")
    @extend_schema(methods=["post"], summary="Add a document", request=DisputeDocumentUploadSerializer,
                   responses={201: DisputeDocumentSerializer},
                   description="Either party adds one file (multipart/form-data, field `file`): PDF, PNG, JPEG, GIF, "
                   "WebP, TXT, LOG, CSV, XLSX, DOCX, ZIP or EML, not empty, at most 10 MB, at most 20 per dispute. "
                   "Recorded in the timeline.")
    @action(detail=True, methods=["get", "post"], serializer_class=DisputeDocumentSerializer, filter_backends=[],
            parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        dispute = self.dispute(pk)
        if request.method == "POST":
            data = self.validated(DisputeDocumentUploadSerializer)
            document = services.dispute_add_document(dispute=dispute, actor=request.user, upload=data["file"],
                                                     via=self.via)
            return Response(DisputeDocumentSerializer(document, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.dispute_documents(dispute=dispute))
        return self.get_paginated_response(
            DisputeDocumentSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Download a document",
        parameters=[OpenApiParameter("document_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The file, as an attachment under its original name. PDFs and images "
            "come with their own content type, everything else as application/octet-stream.")},
        description="The bytes of one of the dispute's documents.",
    )
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_id>[0-9]+)/download",
            url_name="download-document", filter_backends=[], pagination_class=None)
    def download_document(self, request, pk=None, document_id=None):
        dispute = self.dispute(pk)
        try:
            document = selectors.dispute_document_get(dispute=dispute, document_id=int(document_id))
        except (DisputeDocument.DoesNotExist, ValueError, OverflowError):
            raise NotFound() from None
        return attachment_response(document)

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=force or self.action == "download_document")


def register(router) -> None:
    router.register("disputes", DisputeViewSet, basename="api-dispute")
