"""Sortable list columns: `?sort=<key>` or `?sort=-<key>` orders a list by one of its declared columns.

A list declares its columns once (`ColumnSort({"number": ("number",), "client": ("client__name", "number")},
default="-created")`); `apply(queryset, raw)` returns the queryset in that order (the id last, so
pages are stable) and the sort in effect, which the header cells (`includes/sort_th.html`) read to
show the arrow, `aria-sort` and the link that turns the order around. An unknown key is ignored:
the list keeps its default order. Lists paged by keyset (orders) declare `tenancy.keyset.Sort`s
instead and map their headers to those. This module is the floor app's: it imports no other app.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet


@dataclass(frozen=True)
class ColumnSort:
    columns: dict[str, tuple[str, ...]]
    default: str  # a key, with "-" for descending

    def parse(self, raw: str | None) -> str:
        """The sort in effect: `raw` when it names a column, else the default."""
        raw = (raw or "").strip()
        return raw if raw.lstrip("-") in self.columns and raw.count("-") <= 1 else self.default

    def apply(self, queryset: QuerySet, raw: str | None) -> tuple[QuerySet, str]:
        term = self.parse(raw)
        descending = term.startswith("-")
        fields = self.columns[term.lstrip("-")]
        # Empty values last either way. A column that cannot be empty is ordered plainly: PostgreSQL
        # reads a descending `NULLS LAST` order along no index (its descending default is `NULLS
        # FIRST`), so it would sort every row of the tenant to show a page.
        order = [(F(name).desc(nulls_last=True) if _nullable(queryset.model, name) else F(name).desc())
                 if descending else F(name).asc(nulls_last=True) for name in fields]
        return queryset.order_by(*order, "-id" if descending else "id"), term


def _nullable(model, path: str) -> bool:
    """Whether the lookup `path` (`"breached_at"`, `"contract__number"`) can read an empty value: a
    nullable field on the way, or a path this cannot follow."""
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 — an annotation or a transform: assume it can be empty
            return True
        if getattr(field, "null", True) or not field.concrete:
            return True
        model = field.related_model or model
    return False
