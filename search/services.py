"""Writes of saved list views: a user saves the list's current query under a name, or deletes one."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from tenancy.errors import DomainError

from .models import SavedView

# parameters of a page position, not of the view: a saved view always opens on its first page
POSITION_PARAMS = ("cursor", "page")
MAX_QUERY = 2000


def clean_list_query(raw: str) -> str:
    """The list's query string without page positions, re-encoded; refused when too long."""
    query = QueryDict(raw or "", mutable=True)
    for name in POSITION_PARAMS:
        query.pop(name, None)
    encoded = query.urlencode()
    if len(encoded) > MAX_QUERY:
        raise DomainError(_("This list's filters are too long to save."), field="query", code="max_length")
    return encoded


def saved_view_create(*, user, list_name: str, name: str, query: str) -> SavedView:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the view a name."), field="name", code="required")
    if list_name not in SavedView.List.values:
        raise DomainError(_("Unknown list."), field="list_name", code="invalid")
    query = clean_list_query(query)
    if SavedView.objects.filter(user=user, list_name=list_name, name=name).exists():
        raise DomainError(_("You already have a view of this list named “%(name)s”.") % {"name": name},
                          field="name", code="unique")
    try:
        with transaction.atomic():
            return SavedView.objects.create(user=user, list_name=list_name, name=name, query=query)
    except IntegrityError as exc:  # a second click raced the first
        raise DomainError(_("You already have a view of this list named “%(name)s”.") % {"name": name},
                          field="name", code="unique") from exc


@transaction.atomic
def saved_view_delete(*, user, view_id: int) -> None:
    """Delete one of `user`'s own views; another user's (or tenant's) is SavedView.DoesNotExist."""
    SavedView.objects.filter(user=user).get(pk=view_id).delete()
