"""Read-only SQL on the published warehouse, for analysts and statisticians."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

FORMATS = ("table", "csv", "json")


class QueryError(RuntimeError):
    """A query could not run; the message is meant for the person who typed it."""


# A query sees the published warehouse and nothing else: no other file is read or written
# (no ATTACH, read_*, COPY ... TO, EXPORT, INSTALL), and the setting cannot be undone.
# Nor does a table name resolve to a Python object of the calling process.
CONFINED = {"enable_external_access": False, "python_enable_replacements": False,
            "lock_configuration": True}


def run_query(warehouse: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run `sql` read-only on the published file, confined to it; return columns and rows."""
    if not warehouse.exists():
        raise QueryError(f"no published warehouse at {warehouse}; run `spf run` first")
    try:
        con = duckdb.connect(str(warehouse), read_only=True, config=CONFINED)
    except duckdb.Error as error:
        raise QueryError(f"cannot open {warehouse}: {error}") from None
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if columns else []
    except duckdb.PermissionException as error:
        raise QueryError("refused: spf query reads the published warehouse and nothing else "
                         f"({_first_line(error)})") from None
    except duckdb.Error as error:
        if "configuration has been locked" in str(error):
            raise QueryError("refused: spf query cannot change DuckDB's settings "
                             f"({_first_line(error)})") from None
        raise QueryError(str(error).strip()) from None
    finally:
        con.close()
    return columns, rows


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def format_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    """Render a result as an aligned text table, CSV, or a JSON array of objects."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue()
    if fmt == "json":
        records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)}
                   for row in rows]
        return json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt != "table":
        raise QueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows)
               for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return " | ".join(v.rjust(w) if n else v.ljust(w)
                          for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    body = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    body.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(body) + "\n"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)
