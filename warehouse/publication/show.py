"""What `spf diff` shows: which two publications (by default the published one against
the one kept before it), and their differences as a table, CSV or JSON."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ingest.paths import Paths
from warehouse.publication.diff import Diff, as_text, diff
from warehouse.publication.kept import available, publications, resolve_publication
from warehouse.publication.records import HistoryError, latest_publication
from warehouse.shared.tables import format_rows

FORMATS = ("table", "csv", "json")


def diff_publications(paths: Paths, from_ref: str | None = None, to_ref: str | None = None,
                      table: str | None = None, limit: int | None = None) -> Diff:
    """`diff` between two publications (ids or dates, as resolve_publication takes them);
    by default the published one against the one before it."""
    new = resolve_publication(paths, to_ref) if to_ref else paths.warehouse
    if not new.exists():
        raise HistoryError(f"no published warehouse at {new}; run `spf run` first")
    if from_ref:
        old = resolve_publication(paths, from_ref)
    else:
        target = latest_publication(new)
        rows = publications(paths)
        earlier = [r for r in rows if r["path"] and target
                   and r["sequence"] < target["sequence"]]
        if not earlier:
            name = target["publication_id"] if target else new.name
            raise HistoryError(f"nothing published before {name} is kept to compare it "
                               f"with; {available(rows)}")
        old = Path(earlier[-1]["path"])
    return diff(old, new, table, limit)




def _key_text(key: dict) -> str:
    return "; ".join(f"{k}={as_text(v)}" for k, v in key.items())


def diff_lines(result: Diff) -> tuple[list[str], list[tuple]]:
    """Every difference as one line: (mart, change, key, column, old, new). An added or
    removed row is one line, its values in `new` or `old`; a changed row one line per
    changed column."""
    columns = ["mart", "change", "key", "column", "old", "new"]
    lines: list[tuple] = []
    for mart in result["marts"]:
        name = mart["mart"]
        for row in mart["added_rows"]:
            key = {k: row[k] for k in mart["key"]}
            rest = "; ".join(f"{c}={as_text(v)}" for c, v in row.items() if c not in key)
            lines.append((name, "added", _key_text(key), "", "", rest))
        for row in mart["removed_rows"]:
            key = {k: row[k] for k in mart["key"]}
            rest = "; ".join(f"{c}={as_text(v)}" for c, v in row.items() if c not in key)
            lines.append((name, "removed", _key_text(key), "", rest, ""))
        for row in mart["changed_rows"]:
            for column, change in row["changes"].items():
                lines.append((name, "changed", _key_text(row["key"]), column,
                              as_text(change["old"]), as_text(change["new"])))
    return columns, lines


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def render_diff(result: Diff, fmt: str = "table") -> str:
    """`spf diff` output: a table (counts per mart, then each difference), CSV (each
    difference, diff_lines), or JSON (the whole Diff)."""
    if fmt == "json":
        return json.dumps(result, default=_json_default, ensure_ascii=False, indent=2) + "\n"
    if fmt not in FORMATS:
        raise HistoryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    columns, lines = diff_lines(result)
    if fmt == "csv":
        return format_rows(columns, lines, "csv")
    head = (f"{result['from_publication'] or result['old']} -> "
            f"{result['to_publication'] or result['new']}\n")
    counts = [(m["mart"], ", ".join(m["key"]), m["rows_before"], m["rows"], m["added"],
               m["removed"], m["changed"],
               "; ".join(filter(None, [
                   m["status"] if m["status"] != "present" else "",
                   "columns added: " + ", ".join(m["columns_added"]) if m["columns_added"]
                   else "",
                   "columns removed: " + ", ".join(m["columns_removed"])
                   if m["columns_removed"] else "",
                   "rows left out (--limit)" if m["truncated"] else ""])))
              for m in result["marts"]]
    text = head + format_rows(["mart", "key", "rows before", "rows", "added", "removed",
                               "changed", "note"], counts, "table")
    if lines:
        cut = [tuple(_cut(cell) for cell in line) for line in lines]
        text += "\n" + format_rows(columns, cut, "table")
        if cut != lines:
            text += f"(values longer than {WIDEST} characters cut: --format csv or json " \
                    "gives them whole)\n"
    return text


WIDEST = 120  # a cell of `spf diff`'s table, before it is cut


def _cut(cell):
    return cell[:WIDEST - 1] + "…" if isinstance(cell, str) and len(cell) > WIDEST else cell
