"""Horizontal bar charts as SVG, with alt text that states every value (screen readers, PDF)."""
from __future__ import annotations

from xml.sax.saxutils import escape


def bar_chart(rows: list[dict], chart: dict, fmt) -> tuple[str, str]:
    labels = chart["label"] if isinstance(chart["label"], list) else [chart["label"]]
    value, kind = chart["value"], chart.get("format")
    compare = chart.get("compare")
    # A figure that is not available is not drawn as a zero bar: the table says why it is missing.
    items = [(" ".join(str(r[f]) for f in labels), r[value], r.get(compare) if compare else None)
             for r in rows if r[value] is not None]
    items = sorted(items, key=lambda i: i[1], reverse=True)[:15]
    top = max([float(v) for _, v, _ in items] + [float(c) for _, _, c in items if c is not None] + [1e-9])
    bar_h, gap, left, width = 18, 8, 260, 640
    height = len(items) * (bar_h + gap) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="11">']
    for n, (name, amount, other) in enumerate(items):
        y = 10 + n * (bar_h + gap)
        length = max(1.0, (width - left - 110) * float(amount) / top)
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(name[:42])}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_h}" fill="#1d70b8"/>')
        if other is not None:
            mark = left + (width - left - 110) * float(other) / top
            parts.append(f'<rect x="{mark:.1f}" y="{y - 3}" width="2" height="{bar_h + 6}" fill="#d4351c"/>')
        parts.append(f'<text x="{left + length + 6:.1f}" y="{y + 13}">{escape(fmt(amount, kind))}</text>')
    parts.append("</svg>")
    described = "; ".join(f"{name}: {fmt(amount, kind)}" + (f" of {fmt(other, kind)}" if other is not None else "")
                          for name, amount, other in items)
    return "".join(parts), f"{chart['title']}. {described}."
