"""`{% panel_cards slot obj %}`: the cards apps above contracts registered for a slot of a page
(`contracts.panels.register_card`), each rendered as its inclusion tag would render it."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from .. import panels

register = template.Library()


@register.simple_tag(takes_context=True)
def panel_cards(context, slot: str, obj):
    rendered = []
    for card in panels.cards(slot):
        values = card.context(context, obj)
        rendered.append(context.template.engine.get_template(card.template).render(context.new(values)))
    return mark_safe("".join(rendered))  # noqa: S308 (templates rendered with autoescape)
