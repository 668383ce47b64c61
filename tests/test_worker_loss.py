"""Workers that lose nothing: a task whose worker dies mid-way is run again to the end.

Real `celery worker` processes on the configured Redis, killed with SIGKILL while the task runs:

- the pool process running the task dies: its worker gives the message back at once
  (`task_reject_on_worker_lost`) and runs it again;
- the whole worker dies: the message stays unacknowledged (`task_acks_late`) and Redis hands it to
  another worker once the visibility timeout has passed (shrunk to seconds for the test).

The task is defined here and loaded by the workers with `--include`; it keeps its runs in Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"),
                       reason="needs Redis as the broker (visibility timeout, late acknowledgement); set REDIS_URL"),
]


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


@shared_task(name="tests.test_worker_loss.hold_until_killed")
def hold_until_killed(key: str) -> str:
    """First run: say which process runs it, then wait to be killed. Later runs: finish."""
    redis = _redis()
    runs = redis.rpush(f"{key}:runs", os.getpid())
    if runs == 1:
        time.sleep(120)  # the test kills us long before this
    redis.set(f"{key}:done", os.getpid())
    return f"run {runs}"


class Worker:
    """A `celery -A config worker` subprocess on one queue of its own."""

    def __init__(self, name: str, queue: str, tmp_path: Path, *, pool: str, visibility_timeout: int):
        env = {**os.environ, "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout), "PYTHONPATH": str(ROOT)}
        self.log = tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--include", __name__, "-Q", queue,
                   "-n", f"{name}-{queue}@%h", "-P", pool, "--concurrency", "1", "--without-gossip",
                   "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # cold shutdown: its pool processes go with it
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _wait_for(condition, *, timeout: float, what: str, workers=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    logs = "\n".join(f"--- {w.log.name}\n{w.tail()}" for w in workers)
    pytest.fail(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
def job(tmp_path):
    """A queue and a Redis key of this test alone; the workers started are stopped at the end."""
    key = f"worker-loss-{uuid.uuid4().hex}"
    workers: list[Worker] = []

    def start(name: str, **kwargs) -> Worker:
        worker = Worker(name, key, tmp_path, **kwargs)
        workers.append(worker)
        return worker

    yield key, start, workers
    for worker in workers:
        worker.stop()
    _redis().delete(f"{key}:runs", f"{key}:done", key, f"_kombu.binding.{key}", f"_kombu.binding_permanent.{key}")


def _runs(key: str) -> list[int]:
    return [int(pid) for pid in _redis().lrange(f"{key}:runs", 0, -1)]


def test_a_task_whose_pool_process_is_killed_is_given_back_and_run_again_at_once(job):
    key, start, workers = job
    # an hour's visibility timeout: only the worker giving the message back can explain a second run
    worker = start("prefork", pool="prefork", visibility_timeout=3600)
    result = hold_until_killed.apply_async(args=[key], queue=key)

    child = _wait_for(lambda: _runs(key), timeout=60, what="the first run", workers=workers)[0]
    assert child != worker.process.pid
    os.kill(child, signal.SIGKILL)

    assert result.get(timeout=60) == "run 2"
    result.forget()
    runs = _runs(key)
    assert len(runs) == 2 and runs[1] != child
    assert worker.process.poll() is None  # the worker itself lived on


def test_a_task_of_a_killed_worker_is_completed_by_another_worker(job):
    key, start, workers = job
    first = start("first", pool="solo", visibility_timeout=3)
    result = hold_until_killed.apply_async(args=[key], queue=key)

    _wait_for(lambda: _runs(key), timeout=60, what="the first run", workers=workers)
    first.kill()  # the whole worker, mid-task: nothing acknowledged, nothing given back
    assert _redis().get(f"{key}:done") is None

    second = start("second", pool="solo", visibility_timeout=3)
    assert result.get(timeout=60) == "run 2"
    result.forget()
    assert int(_redis().get(f"{key}:done")) == second.process.pid
    assert _runs(key) == [first.process.pid, second.process.pid]
