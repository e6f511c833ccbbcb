"""One self-contained HTML page per report, and the inline SVG charts drawn on it.

A report is opened from a file, often offline, and printed for a meeting. So: no script
and nothing fetched (a Content-Security-Policy forbids both, so even a name that slipped
through unescaped could neither run nor load anything), charts are inline SVG with their
size set, and the print style keeps colours, repeats table headers and does not split a
chart across pages. Every text reaches the page through ``esc`` (or ``with_code``, which
escapes first); charts take plain (label, number, colour) data and escape their labels.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CSP",
    "Bar",
    "Column",
    "Meter",
    "bars",
    "columns",
    "esc",
    "figure",
    "legend",
    "meters",
    "page",
    "stacked",
    "table",
    "with_code",
]

CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""No scripts, no fetches of any kind; only the page's own styles."""

_STYLE = """
body{font:14px/1.45 system-ui,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f1f1f;
margin:24px auto;padding:0 24px;max-width:1400px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;padding-bottom:2px;
border-bottom:2px solid #e3e3e3}h3{font-size:15px;margin:18px 0 6px}
p{margin:6px 0}.muted{color:#5f6368}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}
th,td{border:1px solid #d9d9d9;padding:4px 6px;vertical-align:top;text-align:left;overflow-wrap:break-word}
th{background:#f1f3f4;font-weight:600}
td.lines{white-space:pre-wrap;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
td.num,th.num{text-align:right;white-space:nowrap}td.id{white-space:nowrap;font-family:ui-monospace,monospace}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f1f3f4;padding:0 3px;border-radius:3px}
.flag{display:inline-block;background:#fce8e6;color:#a50e0e;border:1px solid #f28b82;
border-radius:3px;padding:0 4px;margin:1px 3px 1px 0;font-size:12px;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:16px 40px;align-items:flex-start}
figure{margin:8px 0}figcaption{font-weight:600;margin-bottom:4px}
svg{max-width:100%;height:auto;display:block}svg text{font-family:inherit}
.legend{display:flex;flex-wrap:wrap;gap:4px 20px;padding:0;margin:6px 0;list-style:none;font-size:13px}
.legend li{display:flex;gap:6px;align-items:baseline;max-width:440px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;flex:none;
border:1px solid rgba(0,0,0,.35);position:relative;top:1px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff}
.ok{background:#1e8e3e}.bad{background:#d93025}
@media print{body{margin:0;padding:0;max-width:none;font-size:10pt}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
thead{display:table-header-group}tr,figure,svg{break-inside:avoid}h2,h3{break-after:avoid}
table{font-size:9pt}th,td{padding:2px 4px}td{overflow-wrap:anywhere}td.id{white-space:normal}}
"""


def esc(value: Any) -> str:
    """Any value as HTML text (``None`` is blank); quotes escaped, so safe in attributes too."""
    return "" if value is None else html.escape(str(value))


_CODE = re.compile(r"`([^`\r\n]+)`")


def with_code(text: str | None) -> str:
    """A note of ours as HTML: escaped, its backtick spans shown as ``<code>`` (no raw backticks)."""
    return _CODE.sub(r"<code>\1</code>", esc(text))


def page(title: str, body: str, style: str = "") -> str:
    """The whole document: one file, no scripts, nothing fetched, readable printed."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}{style}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def figure(caption: str, chart: str) -> str:
    """A chart with its caption (ours, escaped)."""
    return f"<figure><figcaption>{esc(caption)}</figcaption>{chart}</figure>"


def legend(items: Sequence[tuple[str, str, str]], label: str = "") -> str:
    """A key of colours: (colour, name, what it means; may be blank), after ``label``."""
    entries = (f"<li><b>{esc(label)}</b></li>" if label else "") + "".join(
        f'<li><span class="swatch" style="background:{esc(colour)}"></span>'
        f"<span><b>{esc(name)}</b>{' ' + esc(meaning) if meaning else ''}</span></li>"
        for colour, name, meaning in items
    )
    return f'<ul class="legend">{entries}</ul>'


def _svg(width: int, height: int, title: str, inner: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" font-size="12">'
        f"<title>{esc(title)}</title>{inner}</svg>"
    )


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}"{extra}>{esc(text)}</text>'


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its count, its colour."""

    label: str
    value: int
    colour: str


_ROW = 22
_LABEL = 190


def bars(title: str, rows: Sequence[Bar], width: int = 460) -> str:
    """Horizontal bars, one per row, lengths in proportion, counts written beside them."""
    top = max((r.value for r in rows), default=0) or 1
    span = width - _LABEL - 40
    parts = []
    for i, row in enumerate(rows):
        y = i * _ROW + 4
        length = round(span * row.value / top) if row.value else 0
        parts.append(_text(0, y + 13, _short(row.label, 28)))
        if length:
            parts.append(
                f'<rect x="{_LABEL}" y="{y}" width="{length}" height="{_ROW - 6}" rx="2" '
                f'fill="{esc(row.colour)}"><title>{esc(row.label)}: {row.value}</title></rect>'
            )
        parts.append(_text(_LABEL + length + 6, y + 13, str(row.value), extra=' font-weight="600"'))
    return _svg(width, len(rows) * _ROW + 6, title, "".join(parts))


def stacked(title: str, rows: Sequence[tuple[str, Sequence[Bar], str]], width: int = 760) -> str:
    """One stacked bar per row (label, parts, text after the bar), all on one scale: a longer
    bar is more rows. A part's count is written inside it when it fits."""
    top = max((sum(p.value for p in parts) for _, parts, _ in rows), default=0) or 1
    label, span, height = 230, width - 230 - 80, 26
    out = []
    for i, (name, parts, after) in enumerate(rows):
        y = i * (height + 8) + 4
        out.append(_text(0, y + 17, _short(name, 34)))
        x = float(label)
        for part in parts:
            if not part.value:
                continue
            length = span * part.value / top
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{height}" '
                f'fill="{esc(part.colour)}"><title>{esc(part.label)}: {part.value}</title></rect>'
            )
            if length >= 8 * len(str(part.value)) + 6:
                out.append(
                    _text(x + length / 2, y + 17, str(part.value), anchor="middle", extra=' fill="#fff"')
                )
            x += length
        out.append(_text(x + 6, y + 17, after, extra=' font-weight="600"'))
    return _svg(width, len(rows) * (height + 8) + 4, title, "".join(out))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Collection[str] = ()) -> str:
    """A plain table, every cell escaped; ``numeric`` columns (by header) right-aligned."""

    def cell(tag: str, name: str, value: Any) -> str:
        css = ' class="num"' if name in numeric else ""
        return f"<{tag}{css}>{esc(value)}</{tag}>"

    head = "".join(cell("th", name, name) for name in header)
    body = "".join(
        "<tr>" + "".join(cell("td", name, value) for name, value in zip(header, row, strict=True)) + "</tr>"
        for row in rows
    )
    empty = f'<tr><td colspan="{len(header)}" class="muted">None.</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or empty}</tbody></table>"


@dataclass(frozen=True)
class Meter:
    """A share done: ``done`` of ``total``; ``None`` when it could not be counted (the page
    says why beside the chart: SVG text cannot show a note's code)."""

    label: str
    done: int | None
    total: int | None


def meters(title: str, rows: Sequence[Meter], width: int = 560) -> str:
    """Progress bars: the label above, the share filled in green, ``done / total · %`` beside."""
    span, height, step = width - 150, 14, 44
    out = []
    for i, row in enumerate(rows):
        y = i * step + 16
        out.append(_text(0, y, row.label, extra=' font-weight="600"'))
        out.append(f'<rect x="0" y="{y + 6}" width="{span}" height="{height}" rx="3" fill="#e8eaed"/>')
        if row.total is None or row.done is None:
            out.append(_text(6, y + 17, "not available (see below)", extra=' fill="#5f6368"'))
            continue
        share = row.done / row.total if row.total else 1.0
        colour = "#1e8e3e" if share >= 1 else "#f29900" if share >= 0.5 else "#d93025"
        if row.done:
            out.append(
                f'<rect x="0" y="{y + 6}" width="{max(2, round(span * share))}" height="{height}" '
                f'rx="3" fill="{colour}"/>'
            )
        percent = f" · {100 * share:.0f} %" if row.total else ""
        out.append(_text(span + 10, y + 18, f"{row.done} / {row.total}{percent}", extra=' font-weight="600"'))
    return _svg(width, len(rows) * step + 6, title, "".join(out))


@dataclass(frozen=True)
class Column:
    """One column of a trend: its two-line label (when, what) and its stacked parts."""

    when: str
    what: str
    parts: tuple[Bar, ...]
    alarm: bool = False
    """Drawn with a red label (a run that failed or was interrupted)."""


def columns(title: str, points: Sequence[Column], width: int = 600, height: int = 160) -> str:
    """Stacked columns, oldest left, each part in proportion, the total above each column.

    Up to ten columns get the room of ten; more share ``width``, and then only every few
    is labelled, so labels never overlap (each column's tooltip still names it)."""
    step = (width - 20) / max(len(points), 10)
    bar, axis = max(6.0, step * 0.55), height - 40
    every = -(-44 // int(step))  # a label needs ~44 px
    top = max((sum(p.value for p in c.parts) for c in points), default=0) or 1
    out = [f'<line x1="10" y1="{axis}" x2="{width - 10}" y2="{axis}" stroke="#9aa0a6"/>']
    for i, point in enumerate(points):
        x, y = 10 + i * step + (step - bar) / 2, float(axis)
        for part in point.parts:
            if not part.value:
                continue
            length = (axis - 20) * part.value / top
            y -= length
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{length:.1f}" '
                f'fill="{esc(part.colour)}"><title>{esc(point.when)} {esc(point.what)}: '
                f"{part.value} {esc(part.label)}</title></rect>"
            )
        centre = x + bar / 2
        total = str(sum(p.value for p in point.parts))
        out.append(_text(centre, y - 4, total, anchor="middle", extra=' font-weight="600" font-size="10"'))
        if i % every == 0 or point.alarm:
            colour = ' fill="#d93025"' if point.alarm else ""
            for line, text in ((15, point.when), (28, _short(point.what, 9))):
                out.append(
                    _text(centre, axis + line, text, anchor="middle", extra=f' font-size="10"{colour}')
                )
    return _svg(width, height, title, "".join(out))
