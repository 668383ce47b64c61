"""The UI's shared filters: `{{ state|tone:"order" }}` (the badge tone, tenancy.tones) and
`{{ amount|money:currency }}` / `{{ amount|amount }}` (tenancy.money, in the active language)."""

from __future__ import annotations

from django import template

from tenancy.money import format_amount, format_money
from tenancy.tones import state_tone

register = template.Library()


@register.filter
def tone(state, machine: str) -> str:
    return state_tone(machine, str(state or ""))


@register.filter
def money(value, currency: str = "") -> str:
    return format_money(value, currency or "")


@register.filter
def amount(value, places: int = 2) -> str:
    return format_amount(value, places=int(places))
