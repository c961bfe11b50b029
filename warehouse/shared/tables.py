"""Rows of a result as text: an aligned table for a terminal, CSV, or JSON.

A table is for a terminal: control characters in its cells show escaped
(`ingest.terminal.printable`). CSV is data, as it is. JSON escapes them as \\uNNNN, which
keeps the data once parsed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from ingest.terminal import printable

FORMATS = ("table", "csv", "json")


def as_dicts(cursor) -> list[dict]:
    """The rows a DuckDB cursor has left, each as a dict of column -> value."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def escaped_rows(rows: list[tuple]) -> Iterator[list]:
    for row in rows:
        yield [printable(v) if isinstance(v, str) else v for v in row]


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _json_record(columns: list[str], row: tuple) -> str:
    """A row as a JSON object, control and invisible characters escaped as \\uNNNN (the
    same data once parsed)."""
    text = json.dumps({c: _json_value(v) for c, v in zip(columns, row, strict=True)},
                      ensure_ascii=False, indent=2, default=str)
    if text.replace("\n", "").isprintable():
        return text
    return "".join(ch if ch == "\n" or printable(ch) == ch else _json_escape(ch)
                   for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def write_json(columns: list[str], chunks: Iterable[list[tuple]], out) -> None:
    """A JSON array of objects, one a row, written as the rows come."""
    first = True
    for chunk in chunks:
        for row in chunk:
            out.write(("[\n  " if first else ",\n  ")
                      + _json_record(columns, row).replace("\n", "\n  "))
            first = False
    out.write("[]\n" if first else "\n]\n")


def format_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    """Render a result as an aligned text table, CSV, or a JSON array of objects.

    A table is for a terminal: control characters in its cells show escaped (see
    `ingest.terminal.printable`). CSV is data, as it is. JSON escapes them as \\uNNNN,
    which keeps the data once parsed.
    """
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue()
    if fmt == "json":
        out = io.StringIO()
        write_json(columns, [rows], out)
        return out.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return text_table(columns, rows)


def text_table(columns: list[str], rows: list[tuple], note: str | None = None) -> str:
    """An aligned text table, every header and cell `printable`, then `note` or the count
    of rows."""
    heads = [printable(c) for c in columns]
    cells = [[printable(_cell(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(heads)]
    numeric = [all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows)
               for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return " | ".join(v.rjust(w) if n else v.ljust(w)
                          for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    body = [line(heads), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    body.append(note or f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(body) + "\n"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)
