"""Bounded API input: what a request may carry before it reaches a query or a row.

- `ApiFilterBackend` (the default filter backend) refuses ids and numbers no database column can
  hold (beyond bigint, or digits that are not ASCII, such as "²") with a 400 naming the filter,
  instead of a driver error and a 500, and a boolean filter that is neither `true` nor `false`
  (django-filter would ignore `?is_active=null` and list everything). An empty value (`?state=`)
  means "no filter", as in django-filter and HTML forms; the OpenAPI document says so
  (`allowEmptyValue`, added in `tenancy.api_base`).
- `ApiSearchFilter` (the default search filter) offers `search` only on a list with `search_fields`.
- `ApiOrderingFilter` (the default ordering filter) refuses an `ordering` naming a field the view
  does not order by with a 400 naming `ordering`, instead of silently ignoring it, and documents
  the fields as a pattern. An order asked for ends with the id, so that rows with equal values keep
  one order from page to page (an integration paging by `?ordering=state` sees every row once).
- `ApiJSONParser` (the default JSON parser) refuses a body larger than `API_JSON_MAX_BYTES` (413)
  or nested deeper than `JSON_MAX_DEPTH` (400), instead of a RecursionError.
- `DateField`, `DateTimeField` and `ApiModelSerializer` keep dates in the range of
  `tenancy.bounds` and give model texts a maximum length; `BooleanField` (also what
  `ApiModelSerializer` makes of a model's boolean) takes JSON `true`/`false`, or the text `true` /
  `false` in a form, and refuses the rest, where DRF would read `0`, `"no"` or an absent form field
  as false.

Settings import this module (parser and backend), so it must not import DRF's views.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo

import django_filters
from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import MultipleChoiceFilter
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, parsers, serializers, status
from rest_framework.fields import empty
from rest_framework.utils import html

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


_BOOLEAN_TEXT = {"true": True, "false": False}


def guard_boolean_filters(form: forms.Form) -> None:
    """A boolean filter is `true`, `false` or empty (no filter); django-filter reads anything else
    as "no filter" and would answer the whole list to `?is_active=null`."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.NullBooleanField):
            continue
        raws = form.data.getlist(form.add_prefix(name)) if hasattr(form.data, "getlist") else []
        if any(str(raw).strip().lower() not in ("", *_BOOLEAN_TEXT) for raw in raws):
            _refuse(field, gettext("Enter true or false."))


def _refuse(field: forms.Field, message: str) -> None:
    def refused(value):
        raise forms.ValidationError(message, code="invalid")

    field.clean = refused


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter with every id and number filter bounded (see `guard_numeric_filters`) and
    every boolean filter strict (see `guard_boolean_filters`)."""

    def filter_queryset(self, request, queryset, view):
        # No filter asked for: nothing to build (the filter form and its choice querysets are a
        # good part of a list request's cost) and nothing to filter.
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None and not set(filterset_class.base_filters).intersection(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        # A repeatable filter (`?state=new&state=rework`) given empty (`?state=`) filters nothing,
        # as every other filter does, instead of refusing "" as a choice.
        filterset_class = self.get_filterset_class(view, queryset)
        repeated = [name for name, item in getattr(filterset_class, "base_filters", {}).items()
                    if isinstance(item, MultipleChoiceFilter) and name in kwargs["data"]]
        if repeated:
            data = kwargs["data"].copy()
            for name in repeated:
                values = [value for value in data.getlist(name) if value != ""]
                if values:
                    data.setlist(name, values)
                else:
                    del data[name]
            kwargs["data"] = data
        return kwargs

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            guard_numeric_filters(filterset.form)
            guard_boolean_filters(filterset.form)
        return filterset


class ApiSearchFilter(filters.SearchFilter):
    """DRF's `?search=` over the view's `search_fields`, offered only where the view has some: DRF
    documents and accepts it on every list and ignores it where nothing is searched, which answers
    the whole list as if it had been searched. Without `search_fields` the list does not take it
    (`tenancy.api_query` answers it with a 400 naming it)."""

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "search_fields", None):
            return []
        return super().get_schema_operation_parameters(view)


class ApiOrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at` over the view's `ordering_fields`; an unknown field, an empty
    term or a lookup is a 400 naming `ordering` instead of being dropped without a word. An empty
    value keeps the default order."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        if request.query_params.get(self.ordering_param):  # asked for: ties broken by the id
            ordering = with_id_last(ordering)
        return queryset.order_by(*ordering)

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None or raw == "":
            return self.get_default_ordering(view)
        if not re.search(self.pattern(queryset, view, request), raw):
            valid = ", ".join(name for name, _label in self.get_valid_fields(queryset, view, {"request": request}))
            raise exceptions.ValidationError({self.ordering_param: [
                gettext("Order by one or more of %(fields)s, separated by commas; a leading minus sign "
                        "reverses the order.") % {"fields": valid}
            ]})
        return [term.strip() for term in raw.split(",")]

    def pattern(self, queryset, view, request=None) -> str:
        """The regular expression (ECMA and Python alike) of a valid `ordering` value."""
        names = sorted((name for name, _label in self.get_valid_fields(queryset, view, {"request": request})),
                       key=len, reverse=True)
        term = "-?(" + "|".join(re.escape(name) for name in names) + ")" if names else "(?!)"
        return f"^{term}(,{term})*$"

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        queryset = view.get_queryset()
        names = [name for name, _label in self.get_valid_fields(queryset, view, {"request": None})]
        for parameter in parameters:
            parameter["description"] = str(gettext(
                "Order by one or more of %(fields)s, separated by commas; a leading minus sign reverses "
                "the order, e.g. `-%(first)s`. Empty: the default order."
            ) % {"fields": ", ".join(f"`{name}`" for name in names), "first": names[0] if names else ""})
            parameter["schema"] = {"type": "string", "pattern": self.pattern(queryset, view)}
            parameter["allowEmptyValue"] = True
        return parameters


def with_id_last(ordering: list[str]) -> list[str]:
    """`ordering` with the id after its terms (in the last term's direction) unless it names the id:
    a total order, so that a page-number list's pages neither repeat nor skip rows of equal values."""
    if any(term.lstrip("-") in ("id", "pk") for term in ordering):
        return list(ordering)
    return [*ordering, "-id" if ordering[-1].startswith("-") else "id"]


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


class BooleanField(serializers.BooleanField):
    """`true` or `false`: a JSON boolean, or that text in a form (which carries only text).

    DRF's own field also takes `0`, `1`, `"no"`, `"on"` and more, and reads a form that leaves the
    field out as `false` (a checkbox's convention); an API field absent is absent.
    """

    default_error_messages = {"invalid": _("Must be true or false.")}
    default_empty_html = empty

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            raw = dictionary.get(self.field_name)
            if isinstance(raw, str) and raw.strip().lower() in _BOOLEAN_TEXT:
                return _BOOLEAN_TEXT[raw.strip().lower()]
            if raw == "" and not self.required:
                return empty
            return raw if not isinstance(raw, bool) else str(raw)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data is None and self.allow_null:
            return None
        self.fail("invalid", input=data)


class ApiModelSerializer(serializers.ModelSerializer):
    """A model serializer whose generated date fields are bounded and whose texts have a length."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
        models.BooleanField: BooleanField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.TextField) and "max_length" not in field_kwargs:
            field_kwargs["max_length"] = TEXT_MAX_LENGTH
        return field_class, field_kwargs

# --- request bodies: JSON types ---------------------------------------------------------------


def _json_type_error(field, value) -> str | None:
    """Why `value`, as it came in a JSON body, is not of the JSON type the OpenAPI document gives
    `field`, or None. DRF coerces (`0` → "0" or false, "5" → 5, "true" → true); the document,
    and so every generated client, says which one type each field has."""
    if value is None:
        return None  # allow_null is the field's own business
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(field, serializers.FloatField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(field, serializers.DecimalField):
        # Documented as a string (money never passes through a float); a number only when the
        # field is set not to coerce to a string.
        as_string = getattr(field, "coerce_to_string", None)
        as_string = _decimals_as_strings() if as_string is None else as_string
        ok = isinstance(value, str) or (not as_string and isinstance(value, int | float) and not isinstance(value, bool))
    elif isinstance(field, serializers.CharField | serializers.ChoiceField | serializers.DateField
                    | serializers.DateTimeField | serializers.TimeField | serializers.DurationField
                    | serializers.UUIDField):
        ok = isinstance(value, str)
    elif isinstance(field, serializers.ListField | serializers.ListSerializer | serializers.MultipleChoiceField):
        ok = isinstance(value, list)
    elif isinstance(field, serializers.Serializer | serializers.DictField):
        ok = isinstance(value, dict)
    else:
        return None
    if ok:
        return None
    return gettext("Expected %(type)s.") % {"type": _json_type_name(field)}


def _decimals_as_strings() -> bool:
    from rest_framework.settings import api_settings

    return bool(api_settings.COERCE_DECIMAL_TO_STRING)


def _json_type_name(field) -> str:
    if isinstance(field, serializers.BooleanField):
        return gettext("true or false")
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return gettext("an integer")
    if isinstance(field, serializers.FloatField):
        return gettext("a number")
    if isinstance(field, serializers.ListField | serializers.ListSerializer | serializers.MultipleChoiceField):
        return gettext("a list")
    if isinstance(field, serializers.Serializer | serializers.DictField):
        return gettext("an object")
    return gettext("a string")


def json_type_errors(serializer, data) -> dict:
    """The fields of a JSON body whose values have another JSON type than documented, by field
    (nested objects and lists by their path); empty when all agree."""
    errors: dict = {}
    if not isinstance(data, dict):
        return errors
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        value = data[name]
        if message := _json_type_error(field, value):
            errors[name] = [message]
        elif isinstance(field, serializers.Serializer) and isinstance(value, dict):
            if nested := json_type_errors(field, value):
                errors[name] = nested
        elif isinstance(field, serializers.ListSerializer | serializers.ListField) and isinstance(value, list):
            child = field.child
            items = {}
            for index, item in enumerate(value):
                if message := _json_type_error(child, item):
                    items[index] = [message]
                elif isinstance(child, serializers.Serializer) and (nested := json_type_errors(child, item)):
                    items[index] = nested
            if items:
                errors[name] = items
    return errors


def unknown_field_errors(serializer, data, *, ignored: frozenset[str] = frozenset()) -> dict:
    """The names in a JSON body that the request does not know, by name (nested objects and lists by
    their path); empty when it knows every one.

    DRF drops an unknown name silently, so a mistyped optional field (`"titel"`) would be lost while
    the answer says 200. A field the request only shows (read-only in its serializer) and, at the top,
    a name in `ignored` (a field of the resource as the API answers it) are ignored rather than
    refused, so that an object read may be sent back with a field changed (Google's AIP-203 on
    output-only fields).
    """
    if not isinstance(data, dict):
        return {}
    fields = serializer.fields
    errors: dict = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            if name not in ignored:
                errors[name] = [_not_taken([known for known, item in fields.items() if not item.read_only])]
        elif field.read_only:
            continue
        elif isinstance(field, serializers.Serializer) and isinstance(value, dict):
            if nested := unknown_field_errors(field, value):
                errors[name] = nested
        elif isinstance(field, serializers.ListSerializer | serializers.ListField) and isinstance(value, list):
            child = field.child
            if isinstance(child, serializers.Serializer):
                items = {index: nested for index, item in enumerate(value)
                         if (nested := unknown_field_errors(child, item))}
                if items:
                    errors[name] = items
    return errors


def _not_taken(writable: list[str]) -> str:
    if not writable:
        return gettext("This request takes no fields.")
    return gettext("Not a field of this request; it takes: %(fields)s.") % {"fields": ", ".join(writable)}


class TenantDayFilter(django_filters.DateFilter):
    """A date that filters a moment (a datetime field) by the organisation's day, in its time zone —
    the API answers in UTC, but "on 1 December" means the organisation's 1 December, as the audit
    export and the pages count days: `lookup_expr="gte"` from the day's first instant, `"lte"` to its
    last. A range of the column itself, so an index on it serves (a `__date` lookup wraps the column)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        zone = self._zone()
        if self.lookup_expr == "gte":
            return qs.filter(**{f"{self.field_name}__gte": dt.datetime.combine(value, dt.time.min, zone)})
        next_day = dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, zone)
        return qs.filter(**{f"{self.field_name}__lt": next_day})

    def _zone(self) -> zoneinfo.ZoneInfo:
        """The current tenant's zone, read once per filter set (`date_from` and `date_to` share it)."""
        zone = getattr(self.parent, "_tenant_zone", None)
        if zone is None:
            from .context import require_tenant_id  # not at import: settings import this module
            from .models import Tenant

            zone = zoneinfo.ZoneInfo(Tenant.objects.values_list("time_zone", flat=True).get(pk=require_tenant_id()))
            if self.parent is not None:
                self.parent._tenant_zone = zone
        return zone
