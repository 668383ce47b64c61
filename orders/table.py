"""The rows of the orders table (`orders/_order_table.html`) written in Python.

The table is the orders page's, the portal's orders page's and the portal's front page's. Rendered by
the template language, its fifty rows were about a third of the orders page's time (~0.25 ms a row:
a dozen filters, translations and lookups per row, each through the template engine); written here
they cost a tenth of that. The HTML is what the template wrote, cell for cell:
tests/orders/test_order_table.py renders the old row template beside this for the same orders and
compares them. Every value is escaped here as the template's autoescape did; the translated strings
are the template's msgids.
"""

from __future__ import annotations

import html

from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from sla.templatetags.sla_tags import countdown
from tenancy.tones import state_tone


def esc(value) -> str:
    """Django's `conditional_escape` (what autoescape does), without its lazy-argument wrapper."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


_SENTINEL = 987654321  # a pk no tenant reaches: the detail URL reversed once a table, then filled in


def order_rows(orders, *, portal: bool = False, bulk: bool = False, dated: bool = False) -> SafeString:
    """`<tr>` per order: `portal` for a client's table (no client or assignee column), `bulk` with
    the tick boxes of the bulk form, `dated` with the reported column (the sortable header's)."""
    if not orders:
        empty = esc(_("No orders."))  # outside the f-string, where makemessages finds it
        return mark_safe(f'<tr><td colspan="10" class="muted">{empty}</td></tr>')  # noqa: S308
    detail = reverse("orders:portal-order-detail" if portal else "orders:order-detail", args=[_SENTINEL])
    before, after = detail.split(str(_SENTINEL), 1)
    now = timezone.now()
    words = {  # the same on every row: translated once
        "incident": esc(_("Incident")), "paused": esc(_("paused")),
        "data": (f' data-in="{esc(_template_text("in %s"))}" data-over="{esc(_template_text("overdue by %s"))}"'
                 f' data-units="{esc(_("d"))}|{esc(_("h"))}|{esc(_("min"))}"'),
    }
    short_date, short_datetime = formats.get_format("SHORT_DATE_FORMAT"), formats.get_format("SHORT_DATETIME_FORMAT")
    said: dict = {}  # a label translated and escaped once a table, not once a row

    def once(key, text):
        if key not in said:
            said[key] = esc(text())
        return said[key]

    rows = []
    for order in orders:
        number = esc(order.number)
        cells = [f'<tr data-order="{number}">']
        if bulk:
            label = _("Tick order %(number)s") % {"number": number}
            cells.append(f'<td class="bulk-check"><input type="checkbox" name="bulk-orders" value="{order.pk}" '
                         f'form="order-bulk" aria-label="{label}"></td>')
        incident = (f'<div><span class="badge badge-danger">{words["incident"]}</span></div>'
                    if order.kind == "incident" else "")
        cells.append(f'<td><a class="nowrap" href="{esc(before)}{order.pk}{esc(after)}">{number}</a>{incident}</td>')
        cells.append(f'<td>{esc(order.title)}<div class="muted small">{esc(order.contract.number)}</div></td>')
        if dated:
            reported = timezone.localtime(order.reported_at)
            cells.append(f'<td><time class="nowrap" datetime="{esc(reported.isoformat())}">'
                         f'{esc(dateformat.format(reported, short_date))}</time>'
                         f'<div class="muted small">{esc(dateformat.time_format(reported, "H:i"))}</div></td>')
        if not portal:
            cells.append(f"<td>{esc(order.client)}</td>")
        priority = esc(order.priority)
        cells.append(f'<td><span class="badge priority-{priority}">'
                     f'{once(("priority", priority), order.get_priority_display)}</span></td>')
        state = esc(order.state)
        tone = esc(state_tone("order", str(order.state or "")))
        cells.append(f'<td><span class="badge tone-{tone}" data-tone="{tone}" data-state="{state}">'
                     f'{once(("state", state), order.get_state_display)}</span></td>')
        badges = []
        for clock in order.clock_states:
            kind = esc(clock["state"])
            text = once(("clock", id(clock["metric"]), id(clock["label"])),
                        lambda: f'{clock["metric"]}: {clock["label"]}')  # noqa: B023 — called at once
            badges.append(f'<span class="badge clock clock-{kind}" data-clock-state="{kind}" title="{text}">{text}</span> ')
        cells.append(f'<td>{"".join(badges)}</td>')
        cells.append(f'<td class="nowrap">{_due(order, now, words, short_datetime)}</td>')
        if not portal:
            if order.assignee:
                who = esc(order.assignee.get_full_name() or order.assignee.get_username())
            else:
                who = f'<span class="muted">{esc(order.team) if order.team else "—"}</span>'
            cells.append(f"<td>{who}</td>")
        cells.append("</tr>")
        rows.append("".join(cells))
    return mark_safe("\n".join(rows))  # noqa: S308 — every value above is escaped


def _template_text(text: str) -> str:
    """`{% translate text %}`: a template's msgid has its percent signs doubled (makemessages and the
    tag agree on it), and the tag undoes it in what it writes."""
    return _(text.replace("%", "%%")).replace("%%", "%")


def _due(order, now, words, short_datetime: str) -> str:
    """The next due cell: a countdown with its time, "paused", or a dash."""
    due = order.next_due_at
    if due:
        local = timezone.localtime(due)
        stamp = esc(local.isoformat())  # the date filter's "c"
        overdue = " is-overdue" if due <= now else ""
        return (f'<span class="countdown{overdue}" data-countdown="{stamp}"{words["data"]}>{esc(countdown(due))}</span>'
                f'<div class="muted small"><time datetime="{stamp}">'
                f'{esc(dateformat.format(local, short_datetime))}</time></div>')
    if order.any_paused:
        return f'<span class="muted">{words["paused"]}</span>'
    return '<span class="muted">—</span>'
