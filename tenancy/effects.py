"""Side effects after commit: the one way the apps start work that must follow a saved change.

A PDF to render, a seal to apply, an e-mail, a webhook, a notification: each is queued only once
the transaction that made it necessary commits (never for a change that rolled back), and a broker
that is down at that moment never turns the committed change into an error for the user — the
failure is logged (`robust`), and the beat task that owns that kind of work finds what is still
missing and queues it again (DESIGN.md: every task that produces something a user needs retries,
and a beat finds what is still missing).

- `on_commit_task(task, *args, countdown=None, using=None)` — a Celery task;
- `on_commit_call(work, tenant_id=None, using=None)` — any callable, run in the tenant's context
  when `tenant_id` is given.

Outside a transaction both run at once, as Django's `on_commit` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from .context import tenant_context

logger = logging.getLogger(__name__)


def on_commit_task(task, *args, countdown: float | None = None, using: str | None = None) -> None:
    """Queue `task(*args)` once the current transaction (on `using`) commits."""

    def queue() -> None:
        try:
            task.apply_async(args, countdown=countdown)
        except Exception:
            logger.exception("Could not queue %s after commit; its beat task will find the work.",
                             getattr(task, "name", task))

    transaction.on_commit(queue, using=using)


def on_commit_call(work: Callable[[], object], *, tenant_id: int | None = None, using: str | None = None,
                   failure: str = "After-commit work failed; its beat task will find what is missing.") -> None:
    """Run `work()` once the current transaction (on `using`) commits, in `tenant_id`'s context;
    an exception is logged with `failure`, never raised into the committed request."""

    def run() -> None:
        try:
            if tenant_id is None:
                work()
            else:
                with tenant_context(tenant_id):
                    work()
        except Exception:
            logger.exception(failure)

    transaction.on_commit(run, using=using)
