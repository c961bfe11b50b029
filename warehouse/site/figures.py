"""A figure of a page: a table (the data of its CSV), its charts and its source line.

Every chart on the site is a figure's: drawn from the same rows as its table, which is
written as the figure's CSV (codes and labels), so that what a reader sees, what a screen
reader reads and what an analyst downloads are the same figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from warehouse.access.export import neutralise
from warehouse.site import fmt
from warehouse.site.charts import BarChart, LineChart

FORMATS: dict[str, Callable] = {
    "text": lambda v: fmt.NONE if v is None or v == "" else str(v),
    "whole": fmt.whole, "pct": fmt.pct, "pct2": lambda v: fmt.pct(v, 2), "usd": fmt.usd,
    "day": fmt.day,
    "number": fmt.number, "year": lambda v: fmt.NONE if v is None else str(v),
}
NUMERIC = {"whole", "pct", "pct2", "usd", "number"}
LIMIT_IDS = 12  # ids named in a source line before the rest are folded away


@dataclass
class Column:
    key: str  # the CSV header and the row's key
    label: str = ""  # the table's header; empty: in the CSV only
    kind: str = "text"  # how a cell reads: text | whole | pct | usd | number | day | year
    link: str | None = None  # the row key holding the cell's link (a page of the site)
    wide: bool = False  # a cell of sentences (notes, titles): given room to read


@dataclass
class Figure:
    """A table with its charts and source; `key` names its CSV within the page's folder."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    marts: list[str]
    ids: list[str] = field(default_factory=list)
    ids_kind: str = ""  # submissions | interventions
    charts: list[LineChart | BarChart] = field(default_factory=list)
    note: str = ""  # a sentence under the title: what the figure counts
    empty: str = "No figure in this publication."
    compact: bool = False  # a short table of a few columns: not the page's full width
    csv_path: str = ""  # set when the page is placed: data/<page>/<key>.csv

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        # Columns of numbers and dates go as they are (None: empty), the others through
        # _csv_cell.
        keys = [(c.key, c.kind != "text") for c in self.columns]
        writer.writerows([row.get(k) if as_is else _csv_cell(row.get(k)) for k, as_is in keys]
                         for row in self.rows)
        return out.getvalue()

    def header(self) -> list[tuple[str, bool]]:
        return [(c.label, c.kind in NUMERIC) for c in self.columns if c.label]

    def cells(self, root: str) -> Markup:
        """The table's body, formatted for people (built here rather than in the template:
        a world site has some 100,000 cells)."""
        shown = [(c.key, FORMATS[c.kind], c.kind == "text", c.link,
                  ' class="num"' if c.kind in NUMERIC else ' class="wide"' if c.wide
                  else ' class="date"' if c.kind == "day" else "")
                 for c in self.columns if c.label]
        out = []
        for row in self.rows:
            cells = []
            for n, (key, form, is_text, link, css) in enumerate(shown):
                text = escape(form(row.get(key))) if is_text else form(row.get(key))
                href = row.get(link) if link else None
                if href:
                    text = f'<a href="{escape(root + href)}">{text}</a>'
                cells.append(f'<th scope="row"{css}>{text}</th>' if n == 0
                             else f"<td{css}>{text}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>\n")
        return Markup("".join(out))

    def ids_text(self) -> tuple[str, list[str], int]:
        """The ids named in the source line, the rest (listed in a fold below it) and how
        many there are."""
        ids = sorted(set(self.ids))
        return ", ".join(ids[:LIMIT_IDS]), ids[LIMIT_IDS:], len(ids)


def _csv_cell(value):
    """A CSV cell: lists joined, text that a spreadsheet would run as a formula quoted."""
    if value.__class__ is str:
        return neutralise(value) if value else value
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return neutralise("; ".join(str(v) for v in value))
    return value
