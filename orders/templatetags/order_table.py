"""`{% order_rows orders portal=… bulk=… dated=… %}`: the orders table's rows (orders.table)."""

from __future__ import annotations

from django import template

from orders import table

register = template.Library()


@register.simple_tag
def order_rows(orders, portal=False, bulk=False, dated=False):
    return table.order_rows(orders, portal=bool(portal), bulk=bool(bulk), dated=bool(dated))
