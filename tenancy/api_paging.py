"""The REST API's page parameters, read strictly: every list answers a bad `?page=` or `?page_size=`
with a 400 naming the parameter, never with a silent default.

- `page_size_of(request, pagination)` — `?page_size=`, 1 to `MAX_PAGE_SIZE` (default the `PAGE_SIZE`
  setting), shared by the page-number lists and the keyset ones (`tenancy.keyset.KeysetPagination`);
- `PagePagination` — `?page=` pages (DRF's `PageNumberPagination`, the API's default) with
  `?page_size=`: a page number that is not a whole number from 1 (or `last`) is a 400 naming `page`;
  a page past the end is a 404, as DRF answers it, its message naming the page.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200
PAGE_SIZE_PARAM = "page_size"


def page_size_of(request, pagination) -> int:
    """The rows a page of `pagination` holds (its `page_size_query_param`, `page_size` and
    `max_page_size`): the default when the parameter is absent or empty, else 1 to the maximum."""
    param, maximum = pagination.page_size_query_param, pagination.max_page_size
    raw = request.query_params.get(param)
    if raw in (None, ""):
        return pagination.page_size
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        raise exceptions.ValidationError({param: [gettext("A page holds from 1 to %(max)s rows.") % {"max": maximum}]})
    return size


def page_size_parameter(pagination) -> dict:
    """`?page_size=` of `pagination` in the OpenAPI document."""
    maximum = pagination.max_page_size
    return {"name": pagination.page_size_query_param, "required": False, "in": "query",
            "description": str(_("Rows per page, 1 to %(max)s (default %(default)s).") % {
                "max": maximum, "default": pagination.page_size}),
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum}}


class PagePagination(PageNumberPagination):
    """`?page=` (from 1, or `last`) and `?page_size=` (1–200), both refused with a 400 naming them when
    they are not that. `page_size` itself stays DRF's (the `PAGE_SIZE` setting) so that a test may
    set it on `PageNumberPagination`."""

    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = _("page: this list has no page {page_number} (the `next` links end on its last page).")

    def get_page_size(self, request):
        return page_size_of(request, self)

    def page_number_of(self, request) -> str:
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return raw
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise exceptions.ValidationError({self.page_query_param: [gettext(
                "Give a page number from 1 (or “last”); the `next` and `previous` links give the pages as they are.")]})
        return raw

    def get_page_number(self, request, paginator):
        """Read before the list is: a bad number is a 400 without a query."""
        number = self.page_number_of(request)
        return paginator.num_pages if number in self.last_page_strings else number

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": str(_("The page, from 1 (default 1); `last` for the last one.")),
             "schema": {"type": "integer", "minimum": 1}},
            page_size_parameter(self),
        ]
