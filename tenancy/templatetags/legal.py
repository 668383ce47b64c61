"""`{{ organisation|legal_details:"ru" }}`: an organisation's legal details as one printed line
(`tenancy.legal.details_text`), in the document's language rather than the reader's."""

from __future__ import annotations

from django import template

from tenancy.legal import details_text

register = template.Library()


@register.filter
def legal_details(organisation, language: str = "ru") -> str:
    return details_text(organisation, language)
