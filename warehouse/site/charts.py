"""Charts as SVG in the page: line charts over years and horizontal bar charts.

Why not a charting library's renderer: the world benchmark's site has about two thousand
charts (several a country for some 250 countries), to be built with every publication in
a few seconds. Measured here (2 cores): Vega-Lite through vl-convert 60-125 ms a chart,
matplotlib's SVG backend 110 ms, pygal 22 ms, i.e. 40 s to 4 minutes for the site; the
geometry and SVG below take about half a millisecond a chart. The part that takes
judgement, choosing round axis ticks, is matplotlib's `MaxNLocator` (the ticks of
matplotlib's own charts); the rest is scaling numbers to pixels. The SVG needs no script
or font from elsewhere: text stays text (readable, copyable), each chart has a title and a
description for screen readers (`role="img"`), each mark its figure as a tooltip, and the
same figures are in a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from warehouse.site import fmt

# Okabe-Ito colours (told apart by people with colour-blindness), each with its own dash
# and marker so that a line is known without its colour.
STYLES = (
    {"colour": "#0072B2", "dash": "", "marker": "circle"},
    {"colour": "#D55E00", "dash": "7 4", "marker": "square"},
    {"colour": "#009E73", "dash": "2 3", "marker": "diamond"},
    {"colour": "#6B6B6B", "dash": "10 4 2 4", "marker": "triangle"},
    {"colour": "#CC79A7", "dash": "4 2", "marker": "circle"},
    {"colour": "#8A6D00", "dash": "1 2", "marker": "square"},
)
WIDTH, HEIGHT = 640, 300
DENSE = 16  # a line of more points shows marks only where a figure is flagged
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 14, 74  # the plot's margins: axis labels and legend


@dataclass
class Line:
    label: str
    points: list[tuple[float, float | None, str | None]]  # x, y (None: no figure), note
    style: int = 0


@dataclass
class LineChart:
    """Values over years, one line a series (a point where there is a figure)."""

    title: str
    x_title: str
    y_title: str
    lines: list[Line]
    unit: str = "pct"  # pct | persons | usd: how the axis and the points' labels read
    description: str = ""
    kind: str = field(default="line", init=False)


@dataclass
class Bar:
    label: str
    value: float | None
    text: str  # the value as people read it, printed at the bar's end
    target: float | None = None
    style: int = 0


@dataclass
class BarChart:
    """One horizontal bar a category, with an optional target mark."""

    title: str
    x_title: str
    bars: list[Bar]
    unit: str = "pct"
    description: str = ""
    target_label: str = "target"
    kind: str = field(default="bar", init=False)


def _ticks(low: float, high: float, integer: bool = False, bins: int = 5) -> list[float]:
    from matplotlib.ticker import MaxNLocator  # round ticks, as matplotlib's own charts

    if high <= low:
        high = low + 1
    locator = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10], integer=integer,
                          min_n_ticks=2)
    return [float(t) for t in locator.tick_values(low, high)]


def _value_axis(values: list[float], unit: str, title: str) -> tuple[list[float], float, str]:
    """Ticks from zero to above the largest value, the divisor of their labels and the axis
    title with its scale (`persons (millions)`)."""
    top = max([v for v in values if v is not None] or [1.0])
    divisor, word = (1, "") if unit == "pct" else fmt.scale(top)
    ticks = _ticks(0.0, max(top / divisor, 1e-9))
    ticks = [t for t in ticks if t >= 0]
    if ticks[-1] * divisor < top:
        step = ticks[1] - ticks[0]
        ticks.append(ticks[-1] + step)
    return [t * divisor for t in ticks], divisor, f"{title} ({word})" if word else title


def marker(kind: str, x: float, y: float, colour: str, flagged: bool, label: str = ""
           ) -> str:
    """One point's mark (its shape tells its line without colour; hollow and larger when
    its figure is flagged), with its figure as a tooltip (written here, not by a template:
    a world site has some 100,000 of them)."""
    r = 5 if flagged else 3.5
    paint = f'fill="{"#fff" if flagged else colour}" stroke="{colour}" stroke-width="1.5"'
    title = f"<title>{escape(label)}</title>" if label else ""
    if kind == "square":
        return (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" '
                f"{paint}>{title}</rect>")
    if kind == "diamond":
        return (f'<path d="M{x},{y - r - 1:.1f} L{x + r + 1:.1f},{y} L{x},{y + r + 1:.1f} '
                f'L{x - r - 1:.1f},{y} Z" {paint}>{title}</path>')
    if kind == "triangle":
        return (f'<path d="M{x},{y - r - 1:.1f} L{x + r + 1:.1f},{y + r:.1f} '
                f'L{x - r - 1:.1f},{y + r:.1f} Z" {paint}>{title}</path>')
    return f'<circle cx="{x}" cy="{y}" r="{r}" {paint}>{title}</circle>'


def point_text(value: float | None, unit: str) -> str:
    if unit == "pct":
        return fmt.pct(value)
    if unit == "usd":
        return fmt.usd(value)
    return fmt.whole(value)


def line_geometry(chart: LineChart) -> dict:
    """Pixels of a line chart."""
    xs = sorted({p[0] for line in chart.lines for p in line.points})
    ys = [p[1] for line in chart.lines for p in line.points if p[1] is not None]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = (xs[0], xs[-1]) if xs else (0, 1)
    span = (last - first) or 1
    pad = 0.5 if len(xs) == 1 else 0.0

    def x_at(x: float) -> float:
        if len(xs) <= 1:
            return LEFT + plot_w / 2
        return LEFT + (x - first + pad) / (span + 2 * pad) * plot_w

    y_ticks, divisor, y_title = _value_axis(ys, chart.unit, chart.y_title)
    top = y_ticks[-1] or 1

    def y_at(y: float) -> float:
        return TOP + plot_h - y / top * plot_h

    x_ticks = [x for x in _ticks(first, last, integer=True, bins=8) if first <= x <= last] \
        if len(xs) > 1 else xs
    lines = []
    for line in chart.lines:
        style = STYLES[line.style % len(STYLES)]
        segments, current, marks = [], [], []
        points = sorted(line.points, key=lambda p: p[0])
        dense = sum(1 for p in points if p[1] is not None) > DENSE
        for x, y, note in points:
            if y is None:
                if current:
                    segments.append(current)
                current = []
                continue
            px, py = round(x_at(x), 1), round(y_at(y), 1)
            current.append((px, py))
            if note or not dense:
                label = f"{line.label}, {int(x)}: {point_text(y, chart.unit)}" + (
                    f" ({note})" if note else "")
                marks.append(marker(style["marker"], px, py, style["colour"], bool(note),
                                    label))
        if current:
            segments.append(current)
        lines.append({**style, "label": line.label, "markers": "".join(marks),
                      "flagged": any(p[2] for p in points if p[1] is not None),
                      "paths": ["M" + " L".join(f"{x},{y}" for x, y in s)
                                for s in segments if len(s) > 1]})
    legend, x, row = [], LEFT, 0
    for entry in lines:  # left to right, a new row when the next would not fit
        width = 44 + 6.6 * len(entry["label"])
        if x + width > WIDTH and x > LEFT:
            x, row = LEFT, row + 1
        y = HEIGHT - 22 + 16 * row
        legend.append({**entry, "x": round(x, 1), "y": y, "mark": marker(
            entry["marker"], round(x + 13, 1), y - 4, entry["colour"], False)})
        x += width + 14
    legend_rows = row + 1
    return {
        "width": WIDTH, "height": HEIGHT + 16 * max(legend_rows - 1, 0),
        "left": LEFT, "top": TOP, "plot_w": plot_w, "plot_h": plot_h,
        "bottom": TOP + plot_h,
        "x_ticks": [{"x": round(x_at(x), 1), "label": str(int(x))} for x in x_ticks],
        "y_ticks": [{"y": round(y_at(t), 1), "label": fmt.tick(t / divisor)} for t in y_ticks],
        "x_title": chart.x_title, "y_title": y_title, "lines": lines, "legend": legend,
        "flagged": any(line["flagged"] for line in lines),
    }


BAR_H, BAR_GAP, BAR_LEFT, LABEL_CHARS = 20, 12, 260, 38


def _wrap(text: str, width: int = LABEL_CHARS) -> list[str]:
    """A bar's label on lines of at most `width` characters (at most three)."""
    import textwrap

    lines = textwrap.wrap(text, width) or [""]
    return lines[:2] + [textwrap.shorten(" ".join(lines[2:]), width, placeholder="…")] \
        if len(lines) > 3 else lines


def bar_geometry(chart: BarChart) -> dict:
    """Pixels of a horizontal bar chart."""
    values = [v for b in chart.bars for v in (b.value, b.target) if v is not None]
    ticks, divisor, x_title = _value_axis(values, chart.unit, chart.x_title)
    # Room on the right for the longest value label ("7,240,263 of 130,000,000").
    label_w = max([120, *(6.6 * len(b.text) + 12 for b in chart.bars)])
    plot_w = WIDTH - BAR_LEFT - label_w
    top = ticks[-1] or 1

    def x_at(v: float) -> float:
        return BAR_LEFT + v / top * plot_w

    bars, y = [], TOP + BAR_GAP / 2
    for bar in chart.bars:
        label = _wrap(bar.label)
        row = max(BAR_H, 14 * len(label))
        mid = y + row / 2
        style = STYLES[bar.style % len(STYLES)]
        bars.append({
            "label": [{"text": text, "y": round(mid + 4 + 14 * (k - (len(label) - 1) / 2), 1)}
                      for k, text in enumerate(label)],
            "y": round(mid - BAR_H / 2, 1), "mid": round(mid + 4, 1),
            "width": round(x_at(bar.value or 0) - BAR_LEFT, 1), "colour": style["colour"],
            "end": round(x_at(max(bar.value or 0, bar.target or 0)) + 6, 1),
            "text": bar.text,
            "target": round(x_at(bar.target), 1) if bar.target is not None else None})
        y += row + BAR_GAP
    bottom = round(y - BAR_GAP / 2, 1)
    has_target = any(b["target"] is not None for b in bars)
    return {
        "width": WIDTH, "height": bottom + (64 if has_target else 44), "left": BAR_LEFT,
        "top": TOP, "bottom": bottom, "plot_w": plot_w, "bar_h": BAR_H, "bars": bars,
        "x_ticks": [{"x": round(x_at(t), 1), "label": fmt.tick(t / divisor)} for t in ticks],
        "x_title": x_title, "has_target": has_target, "target_label": chart.target_label,
    }


def geometry(chart: LineChart | BarChart) -> dict:
    return line_geometry(chart) if chart.kind == "line" else bar_geometry(chart)


def _opening(chart: LineChart | BarChart, g: dict, ident: str, what: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {g["width"]} {g["height"]}" role="img" '
            f'aria-labelledby="{ident}-t {ident}-d">\n'
            f'<title id="{ident}-t">{escape(chart.title)}</title>\n'
            f'<desc id="{ident}-d">{escape(chart.description)} {escape(what)} The same '
            "figures are in the table of this section.</desc>\n")


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _line_svg(chart: LineChart, g: dict, ident: str) -> str:
    left, right, bottom = g["left"], g["left"] + g["plot_w"], g["bottom"]
    out = [_opening(chart, g, ident, f"Line chart: {g['x_title']} across, {g['y_title']} up."),
           '<g class="grid">']
    out += [f'<line x1="{left}" x2="{right}" y1="{t["y"]}" y2="{t["y"]}"/>'
            for t in g["y_ticks"]]
    out += ["</g>", '<g class="axis">',
            f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>']
    out += [f'<text x="{left - 6}" y="{t["y"] + 4:.1f}" text-anchor="end">{t["label"]}</text>'
            for t in g["y_ticks"]]
    for t in g["x_ticks"]:
        out.append(f'<line x1="{t["x"]}" x2="{t["x"]}" y1="{bottom}" y2="{bottom + 5}"/>'
                   f'<text x="{t["x"]}" y="{bottom + 18}" text-anchor="middle">{t["label"]}'
                   "</text>")
    out += [f'<text class="axis-title" x="{left + g["plot_w"] / 2}" y="{bottom + 36}" '
            f'text-anchor="middle">{escape(g["x_title"])}</text>',
            f'<text class="axis-title" transform="translate(14,{g["top"] + g["plot_h"] / 2}) '
            f'rotate(-90)" text-anchor="middle">{escape(g["y_title"])}</text>', "</g>"]
    for line in g["lines"]:
        out.append('<g class="series">')
        out += [f'<path d="{d}" fill="none" stroke="{line["colour"]}" stroke-width="2"'
                f'{_dash(line["dash"])}/>' for d in line["paths"]]
        out += [line["markers"], "</g>"]
    out.append('<g class="legend">')
    for e in g["legend"]:
        out.append(f'<line x1="{e["x"]}" x2="{e["x"] + 26:.1f}" y1="{e["y"] - 4}" '
                   f'y2="{e["y"] - 4}" stroke="{e["colour"]}" stroke-width="2"'
                   f'{_dash(e["dash"])}/>{e["mark"]}'
                   f'<text x="{e["x"] + 32:.1f}" y="{e["y"]}">{escape(e["label"])}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out)


def _bar_svg(chart: BarChart, g: dict, ident: str) -> str:
    left, top, bottom = g["left"], g["top"], g["bottom"]
    target = (f", the {g['target_label']} marked by a black line" if g["has_target"] else "")
    out = [_opening(chart, g, ident, f"Bar chart: one bar a row, {g['x_title']} across"
                                     f"{target}."), '<g class="grid">']
    out += [f'<line x1="{t["x"]}" x2="{t["x"]}" y1="{top}" y2="{bottom}"/>'
            for t in g["x_ticks"]]
    out.append("</g>")
    for b in g["bars"]:
        label = " ".join(line["text"] for line in b["label"])
        out.append('<g class="bar">')
        out += [f'<text x="{left - 8}" y="{line["y"]}" text-anchor="end">'
                f'{escape(line["text"])}</text>' for line in b["label"]]
        out.append(f'<rect x="{left}" y="{b["y"]}" width="{b["width"]}" '
                   f'height="{g["bar_h"]}" fill="{b["colour"]}"><title>{escape(label)}: '
                   f'{escape(b["text"])}</title></rect>')
        if b["target"] is not None:
            out.append(f'<line class="target" x1="{b["target"]}" x2="{b["target"]}" '
                       f'y1="{b["y"] - 4:.1f}" y2="{b["y"] + g["bar_h"] + 4:.1f}"/>')
        out += [f'<text class="value" x="{b["end"]}" y="{b["mid"]}">{escape(b["text"])}'
                "</text>", "</g>"]
    out += ['<g class="axis">',
            f'<line x1="{left}" x2="{left + g["plot_w"]}" y1="{bottom}" y2="{bottom}"/>']
    out += [f'<text x="{t["x"]}" y="{bottom + 16}" text-anchor="middle">{t["label"]}</text>'
            for t in g["x_ticks"]]
    out.append(f'<text class="axis-title" x="{left + g["plot_w"] / 2}" y="{bottom + 34}" '
               f'text-anchor="middle">{escape(g["x_title"])}</text>')
    if g["has_target"]:
        out.append(f'<line class="target" x1="{left}" x2="{left}" y1="{bottom + 44}" '
                   f'y2="{bottom + 58}"/><text x="{left + 8}" y="{bottom + 55}">'
                   f'{escape(g["target_label"])}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out)


def svg(chart: LineChart | BarChart, ident: str) -> tuple[Markup, bool]:
    """The chart as inline SVG (ids prefixed `ident`), and whether it marks a flagged
    figure."""
    if chart.kind == "line":
        g = line_geometry(chart)
        return Markup(_line_svg(chart, g, ident)), g["flagged"]
    return Markup(_bar_svg(chart, bar_geometry(chart), ident)), False
