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

from markupsafe import Markup, escape

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
    csv_path: str = ""  # set when the page is placed: data/<page>/<key>.csv

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(row.get(c.key)) for c in self.columns])
        return out.getvalue()

    def header(self) -> list[tuple[str, bool]]:
        return [(c.label, c.kind in NUMERIC) for c in self.columns if c.label]

    def cells(self, root: str) -> Markup:
        """The table's body, formatted for people (built here rather than in the template:
        a world site has some 100,000 cells)."""
        shown = [c for c in self.columns if c.label]
        out = []
        for row in self.rows:
            out.append("<tr>")
            for n, column in enumerate(shown):
                text = escape(FORMATS[column.kind](row.get(column.key)))
                href = row.get(column.link) if column.link else None
                if href:
                    text = Markup(f'<a href="{escape(root + href)}">{text}</a>')
                tag = "th scope=\"row\"" if n == 0 else "td"
                num = ' class="num"' if column.kind in NUMERIC else (
                    ' class="wide"' if column.wide else (
                        ' class="date"' if column.kind == "day" else ""))
                out.append(f"<{tag}{num}>{text}</{tag[:2]}>")
            out.append("</tr>\n")
        return Markup("".join(out))

    def ids_text(self) -> tuple[str, list[str], int]:
        """The ids named in the source line, the rest (listed in a fold below it) and how
        many there are."""
        ids = sorted(set(self.ids))
        return ", ".join(ids[:LIMIT_IDS]), ids[LIMIT_IDS:], len(ids)


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str):
        return neutralise(value)
    return value
