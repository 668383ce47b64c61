"""Settings of the list benchmark's web server: the product's settings, with a URL configuration that
adds the plain-DRF baseline views (tests/bench/lists_urls.py) beside the product's own URLs, and the
tasks that creating orders queues sent to a queue of the benchmark's own that is purged afterwards."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.lists_urls"
CELERY_TASK_DEFAULT_QUEUE = "lists-bench"
# The pages are measured, not the static files they link: hashed names as in production, without the
# gzip and Brotli copies (which take collectstatic a minute or more on 2 cores).
if not DEBUG:  # noqa: F405
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
