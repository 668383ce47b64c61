"""The API's hook for idempotent POSTs and rate-limit headers, mixed into `TenantViewSet` (so
every authenticated endpoint has it, and no endpoint does anything for it).

Order of a POST: authentication, permissions, throttles (DRF's `initial`), then the key: a bad one
is a 400 naming the header; a stored answer is replayed (`Idempotent-Replayed: true`) without
running the view; a key in flight is a 409, reused for another request a 422. The view then runs,
and its answer is stored (below 500) or the key let go (5xx, or an exception escaping the view).

Named in the `API_VIEWSET_HOOKS` setting, which `tenancy.api_base` reads (tenancy never imports this
app); `idempotent_posts` and `post_parameters` tell its OpenAPI schema about the header.
"""

from __future__ import annotations

from . import services
from .throttling import rate_limit_headers

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": services.HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Makes the POST safe to retry: a unique value per operation (e.g. a UUID), at most 255 printable "
        "ASCII characters. The same key with the same request within 24 hours returns the stored answer "
        f"(marked `{services.REPLAYED_HEADER}: true`) without doing the work again; with a different request "
        "it is a 422; while the first request is still running, a 409. Keys belong to the API key (or the "
        "signed-in user) that sent them; answers of 500 and above are not stored."
    ),
}


class IdempotentWritesMixin:
    idempotent_posts = True
    post_parameters = (IDEMPOTENCY_KEY_PARAMETER,)
    _idempotency_row = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST":
            return
        key = services.idempotency_key_of(request)
        owner = services.idempotency_owner(request)
        if key is None or owner is None:
            return
        self._idempotency_row = services.idempotency_begin(
            owner=owner, key=key, request_hash=services.request_fingerprint(request),
        )

    def handle_exception(self, exc):
        if isinstance(exc, services.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in rate_limit_headers(request).items():
            response[name] = value
        row, self._idempotency_row = self._idempotency_row, None
        if row is not None:
            services.idempotency_finish(row, response)
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            row, self._idempotency_row = self._idempotency_row, None
            if row is not None:
                services.idempotency_release(row)
            raise
