"""Named Celery queues (CELERY_TASK_ROUTES): the one worker of `make worker` (and so `make demo` and
docker-compose's worker) consumes every one of them, and every route names a real task."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _worker_queues() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    queues = re.search(r"^WORKER_QUEUES = (\S+)$", makefile, re.M)
    assert queues, "the Makefile names the worker's queues in WORKER_QUEUES"
    assert "-Q $${WORKER_QUEUES:-$(WORKER_QUEUES)}" in makefile
    return set(queues.group(1).split(","))


def test_the_one_worker_consumes_every_routed_queue_and_the_default_one():
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {"celery"} == _worker_queues()
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert 'command: ["make", "worker"]' in compose  # the same verb, so the same queues


def test_every_route_names_a_task_that_exists():
    from config.celery import app

    app.loader.import_default_modules()
    names = set(app.tasks)
    for pattern in settings.CELERY_TASK_ROUTES:
        if pattern.startswith("integrations.webhooks."):
            continue  # the webhooks' tasks arrive with their app; the route waits for them
        assert fnmatch.filter(names, pattern), pattern


def test_the_sweep_and_the_documents_go_to_their_queues():
    from config.celery import app

    app.amqp.flush_routes()
    router = app.amqp.router
    assert router.route({}, "sla.tasks.sweep")["queue"].name == "sweep"
    assert router.route({}, "billing.tasks.render_invoice_pdf")["queue"].name == "documents"
    assert router.route({}, "contracts.tasks.expire_ended_contracts")["queue"].name == "celery"
