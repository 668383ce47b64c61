"""Money as the reader's language writes it: `96 000,00 ₽` in Russian (non-breaking spaces, a decimal
comma, never a point), `96,000.00 RUB` in English. One function for pages, PDFs, e-mails and CSV."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation
from django.utils.formats import get_format
from django.utils.numberformat import format as number_format

NBSP = "\u00a0"
MINUS = "\u2212"
SYMBOLS_RU = {"RUB": "₽", "EUR": "€", "USD": "$"}


def format_amount(value, *, language: str | None = None, places: int = 2) -> str:
    """The number alone, grouped by thousands with the language's separators; '' for None."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    language = language or translation.get_language() or "en"
    with translation.override(language):
        decimal_sep = get_format("DECIMAL_SEPARATOR")
        thousand_sep = get_format("THOUSAND_SEPARATOR")
    if language.startswith("ru"):
        decimal_sep, thousand_sep = ",", NBSP
    text = number_format(abs(amount), decimal_sep, places, 3, thousand_sep, force_grouping=True)
    return f"{MINUS}{text}" if amount < 0 else text


def format_money(value, currency: str = "", *, language: str | None = None) -> str:
    """The amount with its currency after a non-breaking space: `1 220,00 ₽`, `1,220.00 RUB`."""
    text = format_amount(value, language=language)
    if not text or not currency:
        return text
    language = language or translation.get_language() or "en"
    unit = SYMBOLS_RU.get(currency, currency) if language.startswith("ru") else currency
    return f"{text}{NBSP}{unit}"
