"""The tamper-evident audit chain: every event of a tenant, across the event tables, numbered without
gaps and hashed to the one before; raw SQL edits, deletions and insertions found at their link."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection

from tenancy import chain
from tenancy.chain import chain_link, chain_verify
from tenancy.events import Event
from tenancy.models import AuditChainHead
from tenancy.tasks import link_audit_chains
from tests.conftest import postgres_only
from tests.tenancy.audit_support import contract_with_trail, link, linked_rows, raw_on, tables_of

pytestmark = pytest.mark.django_db


def head_of(world) -> AuditChainHead:
    with world.context():
        return AuditChainHead.objects.get()


# --- linking ---------------------------------------------------------------------------------------


def test_events_of_several_tables_link_into_one_gapless_chain_that_verifies(world_a):
    contract_with_trail(world_a)
    assert {"contracts.contractevent", "orders.orderevent", "confirmations.actevent",
            "billing.invoiceevent"} <= tables_of(world_a)
    count = len(linked_rows(world_a))

    assert link(world_a) == count
    rows = linked_rows(world_a)
    assert [row[0] for row in rows] == list(range(1, count + 1))
    assert all(len(row[3]) == 64 for row in rows)
    head = head_of(world_a)
    assert (head.last_seq, head.last_hash) == (count, rows[-1][3])
    report = chain_verify(world_a.tenant.pk)
    assert (report.ok, report.checked, report.unlinked, report.head_seq, report.broken) == (True, count, 0, count, None)


def test_linking_again_changes_nothing_and_new_events_continue_the_chain(world_a):
    contract, *_ = contract_with_trail(world_a)
    link(world_a)
    before = linked_rows(world_a)
    assert link(world_a) == 0
    assert linked_rows(world_a) == before

    from contracts.models import ContractEvent

    with world_a.context():
        ContractEvent.record(contract, kind="updated", actor=world_a.admin, note="later")
    assert linked_rows(world_a)[-1][0] is None
    assert chain_verify(world_a.tenant.pk).unlinked == 1
    assert link(world_a) == 1
    after = linked_rows(world_a)
    assert after[:-1] == before and after[-1][0] == len(before) + 1
    assert chain_verify(world_a.tenant.pk).ok


def test_small_batches_give_the_same_chain(world_a):
    contract_with_trail(world_a)
    count = len(linked_rows(world_a))
    assert chain_link(world_a.tenant.pk, batch=2) == count
    assert [row[0] for row in linked_rows(world_a)] == list(range(1, count + 1))
    assert chain_verify(world_a.tenant.pk).ok


def test_each_tenant_has_its_own_chain(world_a, world_b):
    contract_with_trail(world_a)
    contract_with_trail(world_b)
    link(world_a)
    link(world_b)
    for world in (world_a, world_b):
        rows = linked_rows(world)
        assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    victim = linked_rows(world_b)[2]
    raw_on(world_b, victim[1], "UPDATE {table} SET note = 'rewritten' WHERE id = %s", [victim[2]])
    assert chain_verify(world_a.tenant.pk).ok
    assert chain_verify(world_b.tenant.pk).broken.seq == 3


def test_an_event_is_linked_when_its_transaction_commits_once_per_tenant(world_a, django_capture_on_commit_callbacks):
    from contracts.models import ContractEvent

    contract, *_ = contract_with_trail(world_a)
    link(world_a)
    connection.run_on_commit.clear()  # the set-up's callbacks: as if its transactions had committed
    with django_capture_on_commit_callbacks(execute=True) as callbacks, world_a.context():
        for note in ("one", "two", "three"):
            ContractEvent.record(contract, kind="updated", actor=world_a.admin, note=note)
    assert len([c for c in callbacks if isinstance(c, chain._LinkAfterCommit)]) == 1
    rows = linked_rows(world_a)
    assert all(row[0] is not None for row in rows)
    assert chain_verify(world_a.tenant.pk).ok


def test_a_failing_linker_never_fails_the_users_request(world_a, django_capture_on_commit_callbacks, monkeypatch,
                                                         caplog):
    from contracts.models import ContractEvent

    contract, *_ = contract_with_trail(world_a)
    connection.run_on_commit.clear()  # the set-up's callbacks: as if its transactions had committed

    def broken(tenant_id, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(chain, "chain_link", broken)
    with django_capture_on_commit_callbacks(execute=True), world_a.context():
        ContractEvent.record(contract, kind="updated", actor=world_a.admin, note="saved anyway")
    assert "Linking the audit chain" in caplog.text
    with world_a.context():
        assert ContractEvent.objects.filter(note="saved anyway", chain_seq__isnull=True).exists()
    monkeypatch.undo()
    assert link_audit_chains() >= 1  # the beat task picks it up
    assert chain_verify(world_a.tenant.pk).ok and chain_verify(world_a.tenant.pk).unlinked == 0


def test_the_beat_task_links_every_tenant(world_a, world_b):
    contract_with_trail(world_a)
    contract_with_trail(world_b)
    total = len(linked_rows(world_a)) + len(linked_rows(world_b))
    assert link_audit_chains() == total
    assert link_audit_chains() == 0
    assert link_audit_chains(tenant_id=world_a.tenant.pk) == 0
    assert chain_verify(world_a.tenant.pk).ok and chain_verify(world_b.tenant.pk).ok


def test_saving_an_event_again_never_unlinks_it(world_a):
    contract, *_ = contract_with_trail(world_a)
    from contracts.models import ContractEvent

    with world_a.context():
        stale = ContractEvent.objects.filter(contract=contract).order_by("id").first()
    link(world_a)
    with world_a.context():
        stale.save()  # a copy read before it was linked
    assert all(row[0] is not None for row in linked_rows(world_a))
    assert chain_verify(world_a.tenant.pk).ok


# --- tampering, found at its link ------------------------------------------------------------------


@pytest.fixture
def chained(world_a):
    contract_with_trail(world_a)
    link(world_a)
    return linked_rows(world_a)


def broken_link(world):
    report = chain_verify(world.tenant.pk)
    assert not report.ok
    return report.broken


def test_a_raw_update_of_a_note_is_reported_as_edited_at_that_link(world_a, chained):
    seq, table, pk, _hash = chained[3]
    raw_on(world_a, table, "UPDATE {table} SET note = 'nothing happened' WHERE id = %s", [pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason, broken.table, broken.row_id) == (seq, "edited", table, pk)
    assert f"Link {seq}" in broken.describe()


def test_changing_who_acted_is_edited_but_deleting_the_user_keeps_the_chain_whole(world_a, chained):
    seq, table, pk, _hash = chained[0]
    raw_on(world_a, table, "UPDATE {table} SET actor_id = NULL WHERE id = %s", [pk])  # what deleting the user does
    with world_a.context():
        assert chain_verify(world_a.tenant.pk).ok
    raw_on(world_a, table, "UPDATE {table} SET actor_label = 'Somebody else' WHERE id = %s", [pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason) == (seq, "edited")


def test_an_edit_that_also_recomputes_the_rows_hash_is_found_at_the_next_link(world_a, chained):
    seq, table, pk, _hash = chained[2]
    raw_on(world_a, table, "UPDATE {table} SET chain_hash = %s WHERE id = %s", ["f" * 64, pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason) in ((seq, "edited"), (seq + 1, "edited"))


def test_a_raw_delete_of_a_middle_row_is_reported_as_deleted_at_that_link(world_a, chained):
    seq, table, pk, _hash = chained[4]
    raw_on(world_a, table, "DELETE FROM {table} WHERE id = %s", [pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason) == (seq, "deleted")


def test_deleting_the_newest_row_is_found_by_the_head(world_a, chained):
    seq, table, pk, _hash = chained[-1]
    raw_on(world_a, table, "DELETE FROM {table} WHERE id = %s", [pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason) == (seq, "deleted")


def test_a_number_given_twice_is_reported_as_inserted(world_a, chained):
    seq, _table, _pk, _hash = chained[1]
    _s, other_table, other_pk, _h = chained[-1]
    raw_on(world_a, other_table, "UPDATE {table} SET chain_seq = %s WHERE id = %s", [seq, other_pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason, broken.table, broken.row_id) == (seq, "inserted", other_table, other_pk)


def test_a_row_beyond_the_head_is_reported_as_inserted(world_a, chained):
    from contracts.models import ContractEvent

    with world_a.context():
        forged = ContractEvent.objects.order_by("id").first()
        forged.pk = None
        forged._state.adding = True
        forged.note = "forged"
        forged.save()
    raw_on(world_a, "contracts.contractevent", "UPDATE {table} SET chain_seq = %s, chain_hash = %s WHERE id = %s",
           [len(chained) + 1, "a" * 64, forged.pk])
    broken = broken_link(world_a)
    assert (broken.seq, broken.reason, broken.row_id) == (len(chained) + 1, "inserted", forged.pk)


def test_verification_reads_page_by_page(world_a, chained):
    report = chain_verify(world_a.tenant.pk, page=2)
    assert report.ok and report.checked == len(chained)


def test_event_tables_are_read_only_in_the_admin():
    events = [(model_admin, model) for model, model_admin in admin.site._registry.items() if issubclass(model, Event)]
    for model_admin, _model in events:
        assert model_admin.read_only
    for model_admin in admin.site._registry.values():
        for inline in model_admin.inlines:
            if issubclass(inline.model, Event):
                assert inline.read_only, inline


# --- the command ------------------------------------------------------------------------------------


def test_the_command_says_ok_for_every_tenant_and_exits_zero(world_a, world_b, chained):
    link(world_b)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert f"tenant-a: OK ({len(chained)} links checked" in out.getvalue()
    assert "tenant-b: OK" in out.getvalue()


def test_the_command_names_the_first_broken_link_and_exits_one(world_a, world_b, chained):
    seq, table, pk, _hash = chained[2]
    raw_on(world_a, table, "UPDATE {table} SET note = 'x' WHERE id = %s", [pk])
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit_verify", stdout=out)
    assert exit_.value.code == 1
    assert f"tenant-a: BROKEN at link {seq}: edited ({table} #{pk})" in out.getvalue()
    assert "tenant-b: OK" in out.getvalue()
    out = StringIO()
    call_command("audit_verify", "--tenant", "tenant-b", stdout=out)
    assert "tenant-a" not in out.getvalue()


def test_the_command_refuses_an_unknown_tenant_with_exit_status_two(world_a):
    with pytest.raises(CommandError, match="No organisation with the slug “nope”") as error:
        call_command("audit_verify", "--tenant", "nope")
    assert error.value.returncode == 2


# --- two linkers at once (PostgreSQL) ---------------------------------------------------------------


@postgres_only("concurrent transactions need a real server")
@pytest.mark.django_db(transaction=True)
def test_two_linkers_at_once_give_one_gapless_chain(world_a, world_b, monkeypatch):
    monkeypatch.setattr(chain, "link_after_commit", lambda tenant_id, using=None: None)  # leave them unlinked
    for _ in range(3):
        contract_with_trail(world_a)
    contract_with_trail(world_b)
    count = len(linked_rows(world_a))
    barrier = threading.Barrier(4)
    done, errors = [], []

    def work(world):
        try:
            barrier.wait(timeout=30)
            done.append(chain_link(world.tenant.pk, batch=3))
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(world,)) for world in (world_a, world_a, world_a, world_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors
    assert sum(done) == count + len(linked_rows(world_b))
    assert [row[0] for row in linked_rows(world_a)] == list(range(1, count + 1))
    assert chain_verify(world_a.tenant.pk).ok and chain_verify(world_b.tenant.pk).ok
