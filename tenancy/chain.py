"""The tenant's tamper-evident audit chain over every event table (`tenancy.events.Event`).

Every event row of a tenant, whatever its table, gets a number `chain_seq` (1, 2, 3, ... with no
gap, across all event tables of the tenant) and `chain_hash = SHA-256(previous hash + canonical
content)`, where the canonical content is a deterministic JSON of the row (`canonical`). The
tenant's `AuditChainHead` holds the last number and hash. Then:

- an edited row (a raw `UPDATE` of its note, say) no longer matches its hash: **edited** there;
- a deleted row leaves a gap in the numbers, and deleting the newest rows leaves the chain shorter
  than its head: **deleted** there;
- a row given a number already taken, or one beyond the head: **inserted** there.

Rows are written inside business transactions, so they are linked *after* commit, each tenant in a
short transaction of its own (`chain_link`), never inside the business one: `Event.save` queues
`link_after_commit`, best effort (an error is logged, never the user's), and the beat task
`tenancy.tasks.link_audit_chains` links whatever is left. Linkers of one tenant queue on the head
row's lock, so two at once still give one gapless chain.

`chain_verify` walks the chain in constant memory: one keyset-paged iterator per table (the
PostgreSQL connection has no server-side cursors, tenancy.rls), merged by number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import BigIntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from .context import is_cross_tenant, tenant_context
from .events import Event, event_models
from .models import AuditChainHead

logger = logging.getLogger(__name__)

GENESIS = "0" * 64  # the "previous hash" of a tenant's first link
LINK_BATCH = 500  # rows per table per linking transaction
PAGE = 2000  # rows per table per query when walking the chain

ROW_FIELDS = ("id", "tenant_id", "kind", "transition", "from_state", "to_state", "actor_id", "actor_label", "at",
              "note", "data", "chain_seq", "chain_hash")

EDITED, DELETED, INSERTED = "edited", "deleted", "inserted"


def table_label(model: type[Event]) -> str:
    """How the chain and the export name an event table, e.g. "contracts.contractevent"."""
    return model._meta.label_lower


def subject_attname(model: type[Event]) -> str:
    return model._meta.get_field(model.SUBJECT).attname


def iso_utc(moment) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(model: type[Event], row: dict, seq: int) -> str:
    """The row's content as the hash sees it: sorted keys, no spaces, UTF-8 text as is.

    Who acted is hashed as `actor_label`, the name written when the event happened; the `actor`
    foreign key is left out, because deleting a user empties it (SET NULL) and that must not read
    as tampering with every event the user ever caused.
    """
    content = {
        "table": table_label(model), "id": row["id"], "tenant": row["tenant_id"],
        "subject": row[subject_attname(model)], "kind": row["kind"], "transition": row["transition"],
        "from": row["from_state"], "to": row["to_state"], "actor_label": row["actor_label"],
        "at": iso_utc(row["at"]), "note": row["note"], "data": row["data"], "seq": seq,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def link_hash(previous: str, model: type[Event], row: dict, seq: int) -> str:
    return hashlib.sha256((previous + canonical(model, row, seq)).encode()).hexdigest()


def _values(model: type[Event]):
    return model.objects.order_by().values(*ROW_FIELDS, subject_attname(model))


# --- linking ------------------------------------------------------------------------------------


def _locked_head(tenant_id: int) -> AuditChainHead:
    """The tenant's head row, created on first use, locked until the transaction ends."""
    heads = AuditChainHead.objects.select_for_update()
    head = heads.filter(tenant_id=tenant_id).first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead(tenant_id=tenant_id)], ignore_conflicts=True)
        head = heads.get(tenant_id=tenant_id)
    return head


def _link_batch(tenant_id: int, batch: int) -> tuple[int, bool]:
    """Link up to `batch` unlinked rows of each table in one transaction; (linked, more left)."""
    with transaction.atomic(durable=True):
        head = _locked_head(tenant_id)  # read the unlinked rows only once this linker's turn has come
        found, more = [], False
        for model in event_models():
            rows = list(_values(model).filter(chain_seq__isnull=True).order_by("id")[:batch])
            more = more or len(rows) == batch
            found += [(row["at"], table_label(model), row["id"], model, row) for row in rows]
        if not found:
            return 0, False
        found.sort(key=lambda item: item[:3])  # a stable order: when, then table, then id
        seq, previous = head.last_seq, head.last_hash or GENESIS
        linked: dict[type[Event], list[Event]] = {}
        for _at, _label, pk, model, row in found:
            seq += 1
            previous = link_hash(previous, model, row, seq)
            linked.setdefault(model, []).append(model(pk=pk, chain_seq=seq, chain_hash=previous))
        for model, objects in linked.items():
            model.objects.bulk_update(objects, ["chain_seq", "chain_hash"])
        AuditChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=previous, updated_at=timezone.now())
        return len(found), more


def chain_link(tenant_id: int, *, batch: int = LINK_BATCH) -> int:
    """Give the tenant's unlinked event rows their numbers and hashes; returns how many.

    Each batch is a short transaction of its own (refused inside another transaction: a business
    transaction must not hold the tenant's head lock), serialised per tenant by the head row's lock.
    Running it twice, or twice at once, links each row once.
    """
    total = 0
    with tenant_context(tenant_id):
        while True:
            linked, more = _link_batch(int(tenant_id), batch)
            total += linked
            if not more:
                return total


class _LinkAfterCommit:
    """The on-commit callback of one tenant (one per transaction: see `link_after_commit`)."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id

    def __call__(self) -> None:
        if is_cross_tenant():
            return  # committed inside a sweep: the beat task links it
        try:
            chain_link(self.tenant_id)
        except Exception:  # best effort: the beat task links what is left; never the user's error
            logger.exception("Linking the audit chain of tenant %s failed; the beat task will retry", self.tenant_id)


def link_after_commit(tenant_id: int, *, using: str | None = None) -> None:
    """Link the tenant's chain once the current transaction commits (at once outside one)."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        isinstance(entry[1], _LinkAfterCommit) and entry[1].tenant_id == tenant_id
        for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_LinkAfterCommit(tenant_id), using=using)


# --- verifying ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str  # edited | deleted | inserted
    table: str | None = None
    row_id: int | None = None

    def describe(self) -> str:
        where = f" ({self.table} #{self.row_id})" if self.table else ""
        if self.reason == EDITED:
            return _("Link %(seq)s%(where)s was edited: its content no longer matches its hash.") % {
                "seq": self.seq, "where": where}
        if self.reason == DELETED:
            return _("Link %(seq)s was deleted: the chain has a gap there or ends before its head.") % {
                "seq": self.seq}
        return _("Link %(seq)s%(where)s was inserted: the number is taken twice or lies beyond the head.") % {
            "seq": self.seq, "where": where}


@dataclass(frozen=True)
class ChainReport:
    tenant_id: int
    ok: bool
    checked: int  # linked rows read
    unlinked: int  # rows not linked yet
    head_seq: int
    broken: BrokenLink | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        if self.broken is not None:
            data["broken"]["message"] = self.broken.describe()
        return data


def keyset_pages(make_queryset, order: tuple[str, str], *, tenant_id: int, page: int = PAGE) -> Iterator[dict]:
    """The rows of `make_queryset()` (a `.values()` queryset) by the two fields of `order`, one page
    per query (keyset paging: constant memory, each query an index range). Each page is read inside
    the tenant, so a streamed response may iterate this after its view has returned."""
    first, second = order
    after = None
    while True:
        with tenant_context(tenant_id):
            queryset = make_queryset().order_by(first, second)
            if after is not None:
                queryset = queryset.filter(Q(**{f"{first}__gt": after[0]}) | Q(**{first: after[0], f"{second}__gt": after[1]}))
            rows = list(queryset[:page])
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1][first], rows[-1][second])


def _linked_rows(model: type[Event], *, tenant_id: int, up_to: int, page: int) -> Iterator[tuple]:
    """The table's linked rows up to number `up_to`, by (number, id)."""
    label = table_label(model)
    rows = keyset_pages(lambda: _values(model).filter(chain_seq__isnull=False, chain_seq__lte=up_to),
                        ("chain_seq", "id"), tenant_id=tenant_id, page=page)
    for row in rows:
        yield (row["chain_seq"], label, row["id"], model, row)


def merged_links(models, *, tenant_id: int, up_to: int, page: int = PAGE) -> Iterator[tuple]:
    """(seq, table, id, model, row) of every linked row of `models`, by number: a k-way merge."""
    tables = (_linked_rows(model, tenant_id=tenant_id, up_to=up_to, page=page) for model in models)
    return heapq.merge(*tables, key=lambda item: item[:3])


def _walk(models, tenant_id: int, head: AuditChainHead | None, page: int) -> tuple[int, BrokenLink | None]:
    head_seq = head.last_seq if head else 0
    expected, previous, checked, last = 1, GENESIS, 0, None
    for seq, group in itertools.groupby(merged_links(models, tenant_id=tenant_id, up_to=head_seq, page=page), key=lambda item: item[0]):
        rows = list(group)
        checked += len(rows)
        if seq > expected:
            return checked, BrokenLink(seq=expected, reason=DELETED)
        if seq < expected:
            _s, label, pk, _m, _r = rows[0]
            return checked, BrokenLink(seq=seq, reason=INSERTED, table=label, row_id=pk)
        bad = [item for item in rows if link_hash(previous, item[3], item[4], seq) != item[4]["chain_hash"]]
        if len(rows) > 1:
            _s, label, pk, _m, _r = (bad or rows[1:])[0]
            return checked, BrokenLink(seq=seq, reason=INSERTED, table=label, row_id=pk)
        if bad:
            return checked, BrokenLink(seq=seq, reason=EDITED, table=rows[0][1], row_id=rows[0][2])
        last, previous, expected = rows[0], rows[0][4]["chain_hash"], seq + 1
    if expected - 1 < head_seq:
        return checked, BrokenLink(seq=expected, reason=DELETED)
    if last is not None and previous != head.last_hash:
        return checked, BrokenLink(seq=last[0], reason=EDITED, table=last[1], row_id=last[2])
    # A number beyond the head: no linker gave it (a linker moves the head in the commit that links).
    # The head is read again in the same statement, so a linker that commits meanwhile is no finding.
    current_head = Coalesce(Subquery(AuditChainHead.objects.filter(tenant_id=OuterRef("tenant_id"))
                                     .values("last_seq")[:1]), Value(0),
                            output_field=BigIntegerField())
    for model in models:
        row = (model.objects.filter(chain_seq__gt=current_head).order_by("chain_seq", "id")
               .values_list("chain_seq", "id").first())
        if row is not None:
            return checked, BrokenLink(seq=row[0], reason=INSERTED, table=table_label(model), row_id=row[1])
    return checked, None


def chain_verify(tenant_id: int, *, page: int = PAGE) -> ChainReport:
    """Check the tenant's chain from its first link to its head; report the first broken link.

    Reads only: links nothing. Rows linked while it runs lie beyond the head it read first and are
    left for the next run.
    """
    with tenant_context(tenant_id):
        models = event_models()
        head = AuditChainHead.objects.filter(tenant_id=tenant_id).first()
        checked, broken = _walk(models, int(tenant_id), head, page)
        unlinked = sum(model.objects.filter(chain_seq__isnull=True).count() for model in models)
    return ChainReport(tenant_id=int(tenant_id), ok=broken is None, checked=checked, unlinked=unlinked,
                       head_seq=head.last_seq if head else 0, broken=broken)
