"""One JSON shape for every API error: {"code", "message", "errors": [{"field", "code", "message"}]}."""

from __future__ import annotations

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .context import NoTenantSelected
from .errors import DomainError


def _flatten(detail, prefix: str | None = None):
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = None if key in ("non_field_errors", "__all__") else (f"{prefix}.{key}" if prefix else str(key))
            if key in ("non_field_errors", "__all__"):
                field = prefix
            yield from _flatten(value, field)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _flatten(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                yield from _flatten(value, prefix)
    else:
        yield {"field": prefix, "code": getattr(detail, "code", "invalid"), "message": str(detail)}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        field_errors = getattr(exc, "field_errors", None)
        if field_errors:
            errors = [{"field": None if f == "__all__" else f, "code": exc.code, "message": m}
                      for f, msgs in field_errors.items() for m in msgs]
        else:
            errors = [{"field": exc.field, "code": exc.code, "message": str(m)} for m in exc.messages]
        return Response({"code": exc.code, "message": str(exc.message), "errors": errors}, status=exc.status)
    if isinstance(exc, TransitionNotAllowed | ConcurrentTransition):
        return Response({"code": "transition_not_allowed", "message": _("This action is not possible now."),
                         "errors": []}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        from .api_input import RequestTooLarge

        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(_("The request has too many fields or files."))
    elif isinstance(exc, RecursionError):
        exc = exceptions.ParseError(_("The request is nested too deeply."))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied | NoTenantSelected):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_flatten(exc.detail))
        first = errors[0] if errors else {"message": _("Invalid input.")}
        message = f"{first['field']}: {first['message']}" if first.get("field") else first["message"]
        response.data = {"code": "validation_error", "message": message, "errors": errors}
    else:
        detail = getattr(exc, "detail", str(exc))
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        response.data = {"code": code, "message": str(detail), "errors": []}
    return response
