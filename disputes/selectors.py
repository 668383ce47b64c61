"""Reads of disputes that the pages, the API and the contract badge share. `client_id` limits a
client-side reader to their client's disputes: another client's dispute is the same
DoesNotExist as a missing one."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from .models import (
    OPEN_STATES,
    STAGES,
    Dispute,
    DisputeComment,
    DisputeCreditNote,
    DisputeDocument,
    DisputeEvent,
)


def dispute_list(*, client_id: int | None = None, contract_id=None, state: str = "", kind: str = ""):
    disputes = Dispute.objects.select_related("contract", "client", "act", "invoice_line__invoice", "opened_by")
    if client_id is not None:
        disputes = disputes.filter(client_id=client_id)
    if contract_id:
        disputes = disputes.filter(contract_id=contract_id)
    if state:
        disputes = disputes.filter(state=state)
    if kind:
        disputes = disputes.filter(kind=kind)
    return disputes.order_by("-created_at", "-id")


def dispute_get(*, dispute_id, client_id: int | None = None) -> Dispute:
    return (dispute_list(client_id=client_id)
            .select_related("resolved_by")
            .prefetch_related(Prefetch("credit_links", DisputeCreditNote.objects.select_related(
                "credit_note__invoice")))
            .get(pk=dispute_id))


def dispute_timeline(*, dispute: Dispute):
    return DisputeEvent.objects.filter(dispute=dispute).select_related("actor").order_by("at", "id")


def dispute_documents(*, dispute: Dispute):
    return DisputeDocument.objects.filter(dispute=dispute).select_related("uploaded_by").order_by("uploaded_at", "id")


def dispute_document_get(*, dispute: Dispute, document_id) -> DisputeDocument:
    return DisputeDocument.objects.get(dispute=dispute, pk=document_id)


def dispute_comments(*, dispute: Dispute):
    return DisputeComment.objects.filter(dispute=dispute).select_related("author").order_by("created_at", "id")


def stage_progress(dispute: Dispute) -> list[dict]:
    """The three stages with where the dispute stands: done, current or ahead."""
    reached = STAGES.index(dispute.state) if dispute.state in STAGES else None
    if reached is None:  # closed: the stages it went through are done
        seen = set(DisputeEvent.objects.filter(dispute=dispute).values_list("to_state", flat=True))
        return [{"state": s, "label": s.label, "status": "done" if s in seen else "skipped"} for s in STAGES]
    return [{"state": s, "label": s.label,
             "status": "done" if i < reached else "current" if i == reached else "ahead"}
            for i, s in enumerate(STAGES)]


def open_dispute_count(*, contract_id: int, client_id: int | None = None) -> int:
    return dispute_list(client_id=client_id, contract_id=contract_id).filter(state__in=OPEN_STATES).count()


def contract_dispute_counts(*, contract_id: int, client_id: int | None = None) -> dict:
    disputes = dispute_list(client_id=client_id, contract_id=contract_id)
    return disputes.aggregate(open=Count("pk", filter=Q(state__in=OPEN_STATES)), total=Count("pk"))
