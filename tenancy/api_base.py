"""Building blocks every app's REST API shares.

- `TenantRelatedField`: an id in a request body, resolved inside the current tenant when the
  request is validated, so another tenant's id reads exactly like a missing one.
- `TenantViewSet`: querysets built per request (the tenant is known only once the API key is
  authenticated), writes through services, the error responses documented in OpenAPI.
- `ApiKeyAuthenticationScheme`: the `Authorization: Bearer <key>` scheme in the OpenAPI document;
  `ApiFilterParameters`: the list filters, each saying that an empty value means "no filter".
- Bounded input (`tenancy.api_input`, re-exported here): `DateField` / `DateTimeField` /
  `ApiModelSerializer` keep dates in the range of `tenancy.bounds` and texts to a length;
  `BooleanField` is `true` or `false` and nothing else.
- `TenantViewSet.validated()` takes a JSON object whose values have the JSON types the OpenAPI
  document gives them (`json_type_errors`): a 400 naming the field, not DRF's coercion of `0` to
  "0" or false; a body that is not an object (a JSON array) is a 400 too. A name the request does
  not know (mistyped: `"titel"`) is a 400 naming it and listing the fields it takes
  (`unknown_field_errors`), never dropped while the answer says 200; a field of the resource as the
  API answers it (`id`, `state`) is ignored, so that an object read may be sent back changed.
- Hooks: the classes named in the `API_VIEWSET_HOOKS` setting are mixed into `TenantViewSet`
  (loaded with `import_string`, the way DRF loads its `DEFAULT_*` classes), so an app above tenancy
  adds behaviour to every endpoint without tenancy importing it: `integrations.idempotency.hooks`
  makes every POST idempotent and adds the rate-limit headers. A hook that makes POSTs idempotent
  sets `idempotent_posts = True` and gives the OpenAPI header parameter in `post_parameters`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.settings import api_settings
from rest_framework.utils import html

from .api_auth import api_via
from .api_input import (
    ApiModelSerializer,
    BooleanField,
    DateField,
    DateTimeField,
    json_type_errors,
    unknown_field_errors,
)
from .api_query import check_list_parameters, check_read_parameters

__all__ = ["ApiModelSerializer", "BooleanField", "DateField", "DateTimeField", "TenantRelatedField", "TenantViewSet"]

@extend_schema_field(OpenApiTypes.INT)
class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id resolved inside the current tenant at validation time.

    `scope` returns the queryset to look the id up in; it runs per request, after the API key
    has set the tenant. The default managers are tenant-scoped, so another tenant's id fails
    with the same "Invalid pk … does not exist" as an id that was never used.
    """

    def __init__(self, *, scope: Callable[[], QuerySet] | None = None, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope()


# --- the error shape, for the OpenAPI document -----------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text=_("The input at fault, dotted for nested input; null for the request as a whole."))
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every 4xx answer of the API."""

    code = serializers.CharField(help_text=_("Machine-readable, e.g. validation_error, not_found, transition_not_allowed."))
    message = serializers.CharField(help_text=_("A sentence for a person."))
    errors = ErrorItemSerializer(many=True)


class ApiAutoSchema(AutoSchema):
    """Adds the error responses each operation can give to its documented responses."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        if self._idempotent():
            operation.setdefault("parameters", []).extend(getattr(self.view, "post_parameters", ()))
        responses = operation.setdefault("responses", {})
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        for code, description in self._error_responses(path, has_query=has_query):
            responses.setdefault(
                str(code), {"description": description, "content": {"application/json": {"schema": error}}}
            )
        return operation

    def _error_responses(self, path: str, *, has_query: bool = False):
        action = getattr(self.view, "action", None)
        if self.method != "GET" or action == "list" or has_query:
            yield 400, _("Invalid input (see `errors` for each field), or a request the domain refuses.")
        yield 401, _("No API key, or an invalid, expired or revoked one.")
        yield 403, _("The key lacks the scope, or the role does not allow this.")
        if "{" in path:
            yield 404, _("No such object in your organisation.")
        elif action == "list" and getattr(self.view, "pagination_class", None):
            yield 404, _("No such page of the list.")
        idempotent = self._idempotent()
        if action in getattr(self.view, "conflict_actions", ()):
            yield 409, (_("The object's state does not allow this now, or a request with this Idempotency-Key "
                          "is still being processed.") if idempotent else _("The object's state does not allow this now."))
        elif idempotent:
            yield 409, _("A request with this Idempotency-Key is still being processed.")
        if idempotent:
            yield 422, _("This Idempotency-Key was already used for a different request.")
        yield 429, _("Too many requests: see the Retry-After header.")

    def _idempotent(self) -> bool:
        """A POST of a viewset whose hook makes POSTs idempotent (`API_VIEWSET_HOOKS`)."""
        return self.method == "POST" and getattr(self.view, "idempotent_posts", False)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106 (a scheme name)
        scheme["description"] = (
            "An API key created by a tenant administrator, sent as `Authorization: Bearer <key>`. "
            "The key acts in its tenant with the role of the user who created it; the `read` scope "
            "allows GET, the `write` scope everything else."
        )
        return scheme


class ApiFilterParameters(DjangoFilterExtension):
    """django-filter's parameters as drf-spectacular documents them, plus `allowEmptyValue`: an
    empty value (`?state=`) is no filter, as `tenancy.api_input.ApiFilterBackend` treats it."""

    target_class = "tenancy.api_input.ApiFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            if parameter.get("in") == "query":
                parameter["allowEmptyValue"] = True
        return parameters


# --- viewsets ---------------------------------------------------------------------------------


def viewset_hooks() -> tuple[type, ...]:
    """The mixins of `settings.API_VIEWSET_HOOKS`, outermost first."""
    return tuple(import_string(path) for path in getattr(settings, "API_VIEWSET_HOOKS", ()))


class TenantViewSet(*viewset_hooks(), viewsets.GenericViewSet):
    """Base of the API viewsets.

    The hooks of `API_VIEWSET_HOOKS` come first in its bases: with the project's settings every POST
    takes an `Idempotency-Key`, and every answer carries the rate-limit headers
    (integrations.idempotency.hooks).

    Subclasses set `model` and implement `scoped_queryset()` from the app's selectors; it runs
    per request inside the tenant the authentication chose. Writes validate the body with a
    serializer (`validated()`), call a service with the validated data, and serialize what the
    service returns; nothing is saved through a serializer.
    """

    model: type
    conflict_actions: tuple[str, ...] = ()  # actions that answer 409 when the state forbids them
    list_query_params: tuple[str, ...] = ()  # what `list` reads itself, besides its filters and pages (api_query)
    action_query_params: tuple[str, ...] = ()  # what a GET action reads itself (set in its @action)
    _shown: frozenset[str]  # per class: `_shown_fields()`
    schema = ApiAutoSchema()

    def initial(self, request, *args, **kwargs):
        # A method the endpoint does not have is 405 (with `Allow`) before anything else looks at
        # the request; DRF would first negotiate `?format=…` and answer an unknown one 404.
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)
        # after the key, its scope and the rate limit: a 400 names the parameter
        if self.action == "list":
            check_list_parameters(self, request)
        elif method == "get":
            check_read_parameters(self, request)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # OpenAPI generation has no tenant; an empty queryset is all it needs (the model).
            return self.model._base_manager.none()
        return self.scoped_queryset()

    def scoped_queryset(self) -> QuerySet:
        raise NotImplementedError

    def validated(self, serializer_class=None, *, instance=None, partial: bool = False) -> dict:
        serializer_class = serializer_class or self.get_serializer_class()
        data = self.request.data
        serializer = serializer_class(
            instance=instance, data=data, partial=partial, context=self.get_serializer_context()
        )
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [_("Send a JSON object.")]})
        if html.is_html_input(data):
            serializer.is_valid(raise_exception=True)
            return serializer.validated_data
        # one answer names every problem: the names it does not take beside the values' types, or
        # beside what validation says of the rest (the types first: DRF would coerce a wrong one)
        unknown = unknown_field_errors(serializer, data, ignored=self._shown_fields())
        errors = json_type_errors(serializer, data)
        if not errors and not serializer.is_valid():
            errors = dict(serializer.errors)
        if unknown or errors:
            raise serializers.ValidationError({**unknown, **errors})
        return serializer.validated_data

    @classmethod
    def _shown_fields(cls) -> frozenset[str]:
        """The fields of the resource as the API answers it (`serializer_class`): sent back in a
        body, they are ignored, not refused (`unknown_field_errors`)."""
        if "_shown" not in cls.__dict__:
            serializer_class = getattr(cls, "serializer_class", None)
            try:
                cls._shown = frozenset(serializer_class().fields) if serializer_class is not None else frozenset()
            except (KeyError, AttributeError, TypeError):  # a serializer whose fields need a request
                cls._shown = frozenset()
        return cls._shown

    def serialized(self, instance, serializer_class=None) -> dict:
        serializer_class = serializer_class or self.get_serializer_class()
        return serializer_class(instance, context=self.get_serializer_context()).data

    @property
    def via(self) -> str:
        return api_via(self.request)


def fsm_sources(model, name: str) -> tuple[list, str]:
    """The states transition `name` of `model` leaves from, and the one it goes to."""
    transitions = list(getattr(model, name)._django_fsm.transitions.values())
    sources = sorted({str(s) for t in transitions for s in ([t.source] if isinstance(t.source, str) else t.source)})
    return sources, str(transitions[0].target)


def transition_action(model, name: str, *, request, response, description):
    """A POST action `/<id>/<name>/` that fires the state-machine transition `name`.

    The viewset answers it in `fire_transition(request, name, body)` (`body` is the request
    serializer chosen here); `request` is a serializer class, or a callable of the transition's
    `custom` dict giving one; `description(sources, target, custom)` documents it from the state
    machine itself, so the OpenAPI text cannot drift from the code.
    """
    custom = next(iter(getattr(model, name)._django_fsm.transitions.values())).custom
    sources, target = fsm_sources(model, name)
    body = request(custom) if callable(request) and not isinstance(request, type) else request

    def fire(self, request, pk=None):
        return self.fire_transition(request, name, body)

    fire.__name__ = name
    fire = action(
        detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name.replace("_", "-"),
        filter_backends=[], pagination_class=None,
    )(fire)
    return extend_schema(
        summary=str(custom.get("label", name)),
        description=description(", ".join(sources), target, custom),
        request=body,
        responses=response,
    )(fire)


def closed_request_bodies(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the objects a JSON request body is made of say
    `additionalProperties: false`, as `TenantViewSet.validated()` holds them to (a name the request
    does not know is a 400 naming it; the resource's own fields sent back are tolerated, ignored), so
    a client generated from the document learns it too."""
    schemas = result.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def close(node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen and name in schemas:
                    seen.add(name)
                    component = schemas[name]
                    if component.get("type") == "object" and "properties" in component:
                        component["additionalProperties"] = False
                    close(component)
                return
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            if "application/json" in content:
                close(content["application/json"].get("schema"))
    return result
