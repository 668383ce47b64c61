"""Tiny server-side SVG charts for the review report (page and PDF): no JavaScript, no CDN.

Each function returns safe SVG markup; every label is escaped.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT, PAD = 560, 200, 32
COLORS = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c")


def _frame(body: str, *, title: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return mark_safe(  # noqa: S308 — every interpolated text below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="10">'
        f"<title>{escape(title)}</title>{body}</svg>")


def grouped_bars(labels: list[str], series: list[tuple[str, list[float | None]]], *, title: str,
                 maximum: float = 100.0) -> str:
    """Bars per label (e.g. month), one per series (e.g. response and resolution %); None: no bar."""
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = inner_w / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    parts = [f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>']
    for tick in (0, 50, 100):
        y = HEIGHT - PAD - inner_h * tick / maximum
        parts.append(f'<text x="{PAD - 4}" y="{y + 3:.1f}" text-anchor="end">{tick}</text>')
    for i, label in enumerate(labels):
        x0 = PAD + i * slot + slot * 0.1
        for j, (_name, values) in enumerate(series):
            value = values[i] if i < len(values) else None
            if value is None:
                continue
            h = inner_h * min(max(value, 0), maximum) / maximum
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{bar * 0.9:.1f}" '
                         f'height="{h:.1f}" fill="{COLORS[j % len(COLORS)]}"><title>{escape(label)}: '
                         f'{value}</title></rect>')
        parts.append(f'<text x="{PAD + i * slot + slot / 2:.1f}" y="{HEIGHT - PAD + 14}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts += _legend([name for name, _values in series])
    return _frame("".join(parts), title=title)


def line(labels: list[str], values: list[float | None], *, title: str, low: float = 1.0, high: float = 5.0) -> str:
    """A line through the points that exist (e.g. mean rating per month)."""
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(len(labels) - 1, 1)
    parts = [f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>']
    for tick in range(int(low), int(high) + 1):
        y = HEIGHT - PAD - inner_h * (tick - low) / (high - low)
        parts.append(f'<text x="{PAD - 4}" y="{y + 3:.1f}" text-anchor="end">{tick}</text>')
    points = []
    for i, label in enumerate(labels):
        x = PAD + i * step if len(labels) > 1 else WIDTH / 2
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle">{escape(label)}</text>')
        value = values[i] if i < len(values) else None
        if value is not None:
            y = HEIGHT - PAD - inner_h * (min(max(value, low), high) - low) / (high - low)
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS[0]}">'
                         f"<title>{escape(label)}: {value}</title></circle>")
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{COLORS[0]}" stroke-width="2"/>')
    return _frame("".join(parts), title=title)


def horizontal_bars(items: list[tuple[str, int]], *, title: str) -> str:
    """One bar per item (e.g. breaches by provider), longest first."""
    row = 22
    height = max(len(items), 1) * row + 2 * 8
    top = max((count for _label, count in items), default=0) or 1
    label_w, inner_w = 180, WIDTH - 180 - 50
    parts = []
    for i, (label, count) in enumerate(items):
        y = 8 + i * row
        w = inner_w * count / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label[:32])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLORS[2]}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{count}</text>')
    return _frame("".join(parts), title=title, height=height)


def _legend(names: list[str]) -> list[str]:
    parts = []
    for j, name in enumerate(names):
        x = PAD + j * 140
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{COLORS[j % len(COLORS)]}"/>'
                     f'<text x="{x + 14}" y="15">{escape(name)}</text>')
    return parts
