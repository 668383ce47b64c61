"""Bounded API input: what a request may carry before it reaches a query or a row.

- `ApiFilterBackend` (the default filter backend) refuses ids and numbers no database column can
  hold (beyond bigint, or digits that are not ASCII, such as "²") with a 400 naming the filter,
  instead of a driver error and a 500.
- `ApiJSONParser` (the default JSON parser) refuses a body larger than `API_JSON_MAX_BYTES` (413)
  or nested deeper than `JSON_MAX_DEPTH` (400), instead of a RecursionError.
- `DateField`, `DateTimeField` and `ApiModelSerializer` keep dates in the range of
  `tenancy.bounds` and give model texts a maximum length.

Settings import this module (parser and backend), so it must not import DRF's views.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, parsers, serializers, status

from .bounds import BIGINT_MAX, TEXT_MAX_LENGTH, validate_date_in_range

_INTEGER = re.compile(r"[-+]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?", re.ASCII)
_INTEGER_FIELDS = ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
                   "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField")


def _number_refusal(raw, pattern) -> str | None:
    """Why `raw` (one query value) cannot be a number a column holds, or None when it can."""
    text = str(raw).strip()
    if text == "":
        return None
    if not pattern.fullmatch(text):
        return gettext("Enter a number in ASCII digits.")
    if abs(int(float(text) if "." in text else int(text))) > BIGINT_MAX:
        return gettext("The number is too large.")
    return None


def _guard_field(field: forms.Field, pattern) -> None:
    clean = field.clean

    def guarded(value):
        for raw in value if isinstance(value, list | tuple) else [value]:
            if raw is not None and (message := _number_refusal(raw, pattern)):
                raise forms.ValidationError(message, code="invalid")
        return clean(value)

    field.clean = guarded


def guard_numeric_filters(form: forms.Form) -> None:
    """Check ids and numbers of a filter form before they reach the database: a value beyond bigint
    or in non-ASCII digits ("²") would otherwise fail in the driver and answer 500."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField):
            if field.queryset.model._meta.pk.get_internal_type() in _INTEGER_FIELDS:
                _guard_field(field, _INTEGER)
        elif isinstance(field, forms.IntegerField):
            _guard_field(field, _INTEGER)
        elif isinstance(field, forms.DecimalField | forms.FloatField):
            _guard_field(field, _NUMBER)


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter with every id and number filter bounded (see `guard_numeric_filters`)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            guard_numeric_filters(filterset.form)
        return filterset


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


JSON_MAX_DEPTH = 32


def _depth(value) -> int:
    """How deeply `value` nests lists and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class ApiJSONParser(parsers.JSONParser):
    """JSON bodies up to `API_JSON_MAX_BYTES`, nested at most `JSON_MAX_DEPTH` levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(gettext("A JSON body may have at most %(limit)d bytes.") % {"limit": limit})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise exceptions.ParseError(gettext("The JSON body is nested too deeply.")) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(gettext("JSON parse error: %(error)s") % {"error": exc}) from exc
        if _depth(data) > JSON_MAX_DEPTH:
            raise exceptions.ParseError(
                gettext("The JSON body is nested more than %(depth)d levels deep.") % {"depth": JSON_MAX_DEPTH}
            )
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class DateField(serializers.DateField):
    """A date in the sane range of `tenancy.bounds`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_date_in_range)


class DateTimeField(serializers.DateTimeField):
    """A moment whose date is in the sane range of `tenancy.bounds`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_date_in_range)


class ApiModelSerializer(serializers.ModelSerializer):
    """A model serializer whose generated date fields are bounded and whose texts have a length."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.TextField) and "max_length" not in field_kwargs:
            field_kwargs["max_length"] = TEXT_MAX_LENGTH
        return field_class, field_kwargs

# --- request bodies ---------------------------------------------------------------------------
