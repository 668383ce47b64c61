"""Settings of the list benchmark's web server: the product's settings, with a URL configuration that
adds the plain-DRF baseline views (tests/bench/lists_urls.py) beside the product's own URLs, and the
tasks that creating orders queues sent to a queue of the benchmark's own that is purged afterwards."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.lists_urls"
CELERY_TASK_DEFAULT_QUEUE = "lists-bench"
