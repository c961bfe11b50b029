"""Parse one SSI workbook into typed rows, or reject it with reasons a person can act on.

The contract is ../shared/specs/ssi-workbook.md: tolerant of how people fill in
workbooks (four languages, titles above headers, columns in any order, text
numbers with local separators, many spellings of "missing"), strict about what
the numbers mean (negative counts, unknown codes, sex splits above totals...).
Every problem names its sheet, cell and value, as in
`Beneficiaries!E14: 'abc' is not a number`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from openpyxl.utils.cell import get_column_letter
from python_calamine import CalamineWorkbook

from ingest.problems import Problem, Rejected
from ingest.reference import COUNTRY_CODES
from ingest.ssi_labels import (
    BENEFIT_FORMS,
    COLUMNS,
    CONTEXT_ITEMS,
    COVER_KEYS,
    END_OF_TABLE,
    FUNCTIONS,
    LANGUAGES,
    MISSING_MARKERS,
    MONEY_ITEMS,
    REQUIRED_SHEETS,
    SCHEME_TYPES,
    SHEETS,
    lookup,
    normalise_label,
)

MAX_PROBLEMS = 50
# The spreadsheet formats a focal point may send; python-calamine reads them all.
FORMATS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
FIRST_YEAR = 1990

# Which columns a table cannot do without, and how each column is typed.
REQUIRED_COLUMNS = {
    "context": ("item", "total"),
    "schemes": ("scheme_id", "scheme_name", "scheme_type"),
    "contributors": ("scheme_id", "total"),
    "beneficiaries": ("scheme_id", "function", "benefit_form", "total"),
    "expenditure": ("scheme_id", "function"),
}
COUNT_COLUMNS = {"total", "women", "men"}  # persons: whole, non-negative
AMOUNT_COLUMNS = {"benefits_cash", "benefits_kind", "admin"}  # money: non-negative
CODE_COLUMNS = {
    "item": CONTEXT_ITEMS,
    "scheme_type": SCHEME_TYPES,
    "function": FUNCTIONS,
    "benefit_form": BENEFIT_FORMS,
}
REQUIRED_CELLS = {
    "context": ("item",),
    "schemes": ("scheme_id", "scheme_name", "scheme_type"),
    "contributors": ("scheme_id",),
    "beneficiaries": ("scheme_id", "function", "benefit_form"),
    "expenditure": ("scheme_id", "function"),
}
SHEET_LOOKUP = lookup(SHEETS)
COVER_LOOKUP = lookup(COVER_KEYS)
COLUMN_LOOKUPS = {sheet: lookup(columns) for sheet, columns in COLUMNS.items()}
SPACES = str.maketrans("", "", " \u00a0\u202f\u2009\u2007'\u2019")
CURRENCIES = {c.alpha_3 for c in pycountry.currencies}
# Digit grouping: by thousands, or (English workbooks, comma) by lakhs and crores too.
GROUPED = {False: r"\d{{1,3}}({0}\d{{3}})*",
           True: r"(\d{{1,3}}({0}\d{{3}})*|\d{{1,2}}({0}\d{{2}})*{0}\d{{3}})"}
SPACE_GROUPS = re.compile(r"[ \u00a0\u202f\u2009\u2007'\u2019]+")


class RejectedWorkbook(Rejected):
    """A workbook that breaks the contract, with what could be read of its identity."""

    def __init__(self, problems: list[Problem], identity: dict | None = None):
        super().__init__(problems)
        self.identity = identity or {}


@dataclass
class ParsedSubmission:
    """A workbook that met the contract: its identity, cover and typed table rows."""

    country_iso3: str
    reference_year: int
    revision: int
    language: str
    cover: dict[str, object]
    cover_cells: list[dict]
    tables: dict[str, list[dict]] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)  # codes of the sheets present

    @property
    def submission_id(self) -> str:
        return submission_id(self.country_iso3, self.reference_year, self.revision)

    @property
    def identity(self) -> dict[str, object]:
        return {"country_iso3": self.country_iso3, "reference_year": self.reference_year,
                "revision": self.revision}


def submission_id(country_iso3: str, reference_year: int, revision: int) -> str:
    """The readable identity of a submission, e.g. `KHM-2019-r2`."""
    return f"{country_iso3}-{reference_year}-r{revision}"


def cell_name(row: int, col: int) -> str:
    """Excel address of zero-based (row, col)."""
    return f"{get_column_letter(col + 1)}{row + 1}"


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and normalise_label(value) in MISSING_MARKERS)


def show(value: object) -> str:
    """A cell value as a message quotes it: text in quotes, 30000.0 as 30000."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def parse_number(value: object, language: str) -> float | None:
    """A cell as a number; None when it is a missing marker. Raises ValueError otherwise.

    Text numbers follow the workbook's language (EN 1,234.5; FR/PT 1 234,5;
    ES 1.234,5). Spaces, no-break spaces and apostrophes (5'000) are always
    thousands separators. When both '.' and ',' appear, the last one is the
    decimal mark whatever the language, because that reading is never ambiguous.
    English workbooks may also group in lakhs and crores (12,34,567), as India does.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool) or isinstance(value, dt.date | dt.datetime | dt.time):
        raise ValueError("is not a number")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not re.fullmatch(r"[+\-\u2212]?[\d.,' \u00a0\u202f\u2009\u2007\u2019]*\d[\d.,]*", text):
        raise ValueError("is not a number")
    if not all(re.match(r"\d{3}(\D|$)", part) for part in SPACE_GROUPS.split(text)[1:]):
        raise ValueError("has misplaced thousands separators")
    text = text.translate(SPACES)
    sign = -1.0 if text[:1] in "-\u2212" else 1.0
    text = text.lstrip("+-\u2212")
    dot, comma = "." in text, "," in text
    if dot and comma:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        group = "," if decimal == "." else "."
    else:
        mark = "." if dot else "," if comma else None
        local_decimal = "." if language == "en" else ","
        grouped = mark and re.fullmatch(GROUPED[mark == "," and language == "en"].format(
            re.escape(mark)), text)
        if mark is None:
            decimal = group = None
        elif mark == local_decimal and text.count(mark) == 1:
            decimal, group = mark, None
        elif grouped:
            decimal, group = None, mark
        else:
            raise ValueError("is not a number in this workbook's language")
    integer, _, fraction = text.partition(decimal) if decimal else (text, "", "")
    if (decimal and not fraction.isdigit()) or (group and not re.fullmatch(
            GROUPED[group == "," and language == "en"].format(re.escape(group)), integer)):
        raise ValueError("has misplaced separators")
    text = integer.replace(group, "") if group else integer
    if fraction:
        text = f"{text}.{fraction}"
    return sign * float(text)


def _text(value: object) -> str | None:
    """A cell as trimmed text (numbers without a spurious .0); None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, sheet: str | None = None,
            cell: str | None = None, value: object = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(code, message, value, sheet=sheet, cell=cell))


def _language(votes: Counter[str]) -> str:
    best = [lang for lang in LANGUAGES if votes[lang] == max(votes.values(), default=0)]
    return best[0] if best and votes[best[0]] else "en"


def parse_workbook(path: str | Path) -> ParsedSubmission:
    """Parse an SSI workbook; raise RejectedWorkbook listing what is wrong with it."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises several types for unreadable files
        raise RejectedWorkbook([Problem(
            "unreadable_file", f"not a readable .xlsx workbook ({type(error).__name__})")]
        ) from None

    problems = _Collector()
    votes: Counter[str] = Counter()
    sheets: dict[str, str] = {}
    for name in book.sheet_names:
        match = SHEET_LOOKUP.get(normalise_label(name))
        if match and match[0] not in sheets:
            sheets[match[0]] = name
            votes.update(match[1])
    missing = [code for code in REQUIRED_SHEETS if code not in sheets]
    if missing:
        for code in missing:
            problems.add("missing_sheet", f"required sheet '{SHEETS[code][0]}' (or its "
                         f"translation) is missing; sheets found: {book.sheet_names}")
        raise RejectedWorkbook(problems.problems)

    grids = {code: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
             for code, name in sheets.items()}
    cover, cover_cells = _read_cover(grids["cover"], sheets["cover"], votes)
    raw_tables = {code: _read_table(code, grids[code], sheets[code], problems, votes)
                  for code in COLUMNS if code in sheets}
    language = _language(votes)

    identity = _check_cover(cover, sheets["cover"], problems)
    tables = {code: _type_rows(code, rows, sheets[code], language, problems)
              for code, rows in raw_tables.items() if rows is not None}
    _check_tables(tables, sheets, cover, problems)
    if problems.problems:
        raise RejectedWorkbook(problems.problems, identity)
    return ParsedSubmission(
        country_iso3=identity["country_iso3"], reference_year=identity["reference_year"],
        revision=identity["revision"], language=language,
        cover=_typed_cover(cover), cover_cells=cover_cells, tables=tables,
        sheets=[code for code in SHEETS if code in sheets],
    )


def _typed_cover(cover: dict) -> dict[str, object]:
    """The free-text and date fields of the cover, typed (identity is typed separately)."""
    date = cover.get("submission_date", (None,))[0]
    if isinstance(date, dt.datetime):
        date = date.date()
    elif date is not None and not isinstance(date, dt.date):
        date = dt.date.fromisoformat(str(date).strip())
    currency = _text(cover.get("currency", (None,))[0])
    return {
        "country_name": _text(cover.get("country_name", (None,))[0]),
        "submission_date": date,
        "institution": _text(cover.get("institution", (None,))[0]),
        "contact_email": _text(cover.get("contact_email", (None,))[0]),
        "currency": currency.upper() if currency else None,
    }


def _read_cover(grid: list[list], sheet: str, votes: Counter[str]):
    """Key/value pairs of the cover: label in column A, value in column B."""
    cover: dict[str, tuple[object, str]] = {}
    cells = []
    for r, row in enumerate(grid):
        if not row or is_missing(row[0]):
            continue
        value = row[1] if len(row) > 1 else None
        match = COVER_LOOKUP.get(normalise_label(row[0]))
        key = match[0] if match else None
        if match and key not in cover:
            cover[key] = (None if is_missing(value) else value, cell_name(r, 1))
            votes.update(match[1])
        cells.append({"cell": cell_name(r, 1), "key": key, "label": _text(row[0]),
                      "value": _text(value)})
    return cover, cells


def _check_cover(cover: dict, sheet: str, problems: _Collector) -> dict:
    """Validate and type the identity fields and the currency of the cover."""
    identity: dict[str, object] = {}

    def where(key: str) -> str | None:
        return cover[key][1] if key in cover else None

    iso3 = _text(cover.get("country_iso3", (None,))[0])
    if iso3 is None:
        problems.add("missing_value", "the ISO3 country code is required", sheet,
                     where("country_iso3"))
    elif iso3.upper() not in COUNTRY_CODES:
        problems.add("unknown_country", f"{show(iso3)} is not an ISO 3166-1 alpha-3 country "
                     "code", sheet, where("country_iso3"), iso3)
    else:
        identity["country_iso3"] = iso3.upper()

    this_year = dt.date.today().year
    for key, low, high, default in (("reference_year", FIRST_YEAR, this_year, None),
                                    ("revision", 1, None, 1)):
        raw = cover.get(key, (None,))[0]
        if raw is None and default is not None:
            identity[key] = default
            continue
        if raw is None:
            problems.add("missing_value", f"the {key.replace('_', ' ')} is required", sheet,
                         where(key))
            continue
        try:
            number = parse_number(raw, "en")
        except ValueError:
            number = None
        if number is None or not number.is_integer():
            problems.add("not_a_number", f"{show(raw)} is not a whole number", sheet,
                         where(key), raw)
            continue
        if number < low or (high is not None and number > high):
            code = "year_out_of_range" if key == "reference_year" else "invalid_revision"
            bounds = f"{low}..{high}" if high else f"at least {low}"
            problems.add(code, f"{show(raw)} is out of range ({bounds})", sheet, where(key), raw)
            continue
        identity[key] = int(number)

    currency = _text(cover.get("currency", (None,))[0])
    if currency is not None and currency.upper() not in CURRENCIES:
        problems.add("unknown_code", f"{show(currency)} is not an ISO 4217 currency code",
                     sheet, where("currency"), currency)
    date = cover.get("submission_date", (None,))[0]
    if date is not None and not isinstance(date, dt.date):
        try:
            dt.date.fromisoformat(str(date).strip())
        except ValueError:
            problems.add("invalid_date", f"{show(date)} is not a date (use YYYY-MM-DD)",
                         sheet, where("submission_date"), date)
    return identity


def _read_table(code: str, grid: list[list], sheet: str, problems: _Collector,
                votes: Counter[str]) -> list[dict] | None:
    """Locate the header row, map its columns, and return the data rows as raw cells."""
    labels = COLUMN_LOOKUPS[code]
    for r, row in enumerate(grid):
        matched = {c: labels[normalise_label(v)] for c, v in enumerate(row)
                   if isinstance(v, str) and normalise_label(v) in labels}
        if len({m[0] for m in matched.values()}) >= 2:
            header_row = r
            break
    else:
        problems.add("missing_header", "no header row found: expected the column labels "
                     f"{[c[0] for c in COLUMNS[code].values()]}", sheet)
        return None

    columns: dict[str, int] = {}
    extras: dict[int, str] = {}
    for c, value in enumerate(grid[header_row]):
        if c in matched and matched[c][0] not in columns:
            columns[matched[c][0]] = c
            votes.update(matched[c][1])
        elif not is_missing(value):
            extras[c] = _text(value)
    absent = [col for col in REQUIRED_COLUMNS[code] if col not in columns]
    for col in absent:
        problems.add("missing_column", f"required column '{COLUMNS[code][col][0]}' (or its "
                     f"translation) not found in header row {header_row + 1}", sheet)
    if absent:
        return None

    rows = []
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        filled = [v for v in row if not (v is None or (isinstance(v, str) and not v.strip()))]
        if not filled:
            break
        first = filled[0]
        if isinstance(first, str) and END_OF_TABLE.match(normalise_label(first)):
            break
        cells = {col: (row[c] if c < len(row) else None, cell_name(r, c))
                 for col, c in columns.items()}
        extra = {name: _text(row[c]) for c, name in extras.items()
                 if c < len(row) and not is_missing(row[c])}
        rows.append({"cells": cells, "source_row": r + 1, "extra": extra})
    return rows


def _type_rows(code: str, rows: list[dict], sheet: str, language: str,
               problems: _Collector) -> list[dict]:
    """Type every cell of a table by its column; record a problem for each bad cell."""
    typed_rows = []
    for raw in rows:
        typed: dict[str, object] = {"source_row": raw["source_row"],
                                    "extra": json.dumps(raw["extra"], ensure_ascii=False)
                                    if raw["extra"] else None}
        cells: dict[str, str] = {}
        for col in COLUMNS[code]:
            value, cell = raw["cells"].get(col, (None, None))
            cells[col] = cell
            if col in COUNT_COLUMNS or col in AMOUNT_COLUMNS:
                typed[col] = _typed_number(code, col, value, sheet, cell, language, problems)
            elif col == "start_year":
                number = _typed_number(code, col, value, sheet, cell, "en", problems)
                typed[col] = int(number) if number is not None else None
            else:
                text = _text(value)
                if col in CODE_COLUMNS and text is not None:
                    text = text.upper()
                    if text not in CODE_COLUMNS[col]:
                        problems.add("unknown_code", f"{show(value)} is not a known "
                                     f"{col.replace('_', ' ')} code (expected one of "
                                     f"{', '.join(CODE_COLUMNS[col])})", sheet, cell, value)
                typed[col] = text
        for col in REQUIRED_CELLS[code]:
            if typed.get(col) is None and cells[col]:
                problems.add("missing_value", f"{col.replace('_', ' ')} is required", sheet,
                             cells[col])
        women, men, total = typed.get("women"), typed.get("men"), typed.get("total")
        if None not in (women, men, total) and women + men > total:
            problems.add("sex_split_exceeds_total", f"women + men ({women:,.0f} + {men:,.0f}) "
                         f"exceed the total ({total:,.0f})", sheet, cells["total"], total)
        typed["_cells"] = cells
        typed_rows.append(typed)
    return typed_rows


def _typed_number(code, col, value, sheet, cell, language, problems) -> float | None:
    try:
        number = parse_number(value, language)
    except ValueError as error:
        problems.add("not_a_number", f"{show(value)} {error}", sheet, cell, value)
        return None
    if number is None:
        return None
    if number < 0:
        problems.add("negative_value", f"{show(value)} is negative", sheet, cell, value)
        return None
    if col in COUNT_COLUMNS and code != "context" and not number.is_integer():
        problems.add("not_whole_number", f"{show(value)} is not a whole number of persons",
                     sheet, cell, value)
        return None
    return number


def _unique(rows: list[dict], column: str, code: str, what: str, sheet: str | None,
            problems: _Collector) -> set[str]:
    """The values of `column`, with a problem for each one that appears again."""
    values: set[str] = set()
    for row in rows:
        value = row[column]
        if value in values:
            problems.add(code, f"{what} {show(value)} appears more than once", sheet,
                         row["_cells"][column], value)
        values.add(value)
    return values


def _check_tables(tables: dict[str, list[dict]], sheets: dict[str, str], cover: dict,
                  problems: _Collector) -> None:
    """Rules across rows and sheets: unique schemes and items, known references, currency."""
    scheme_ids = _unique(tables.get("schemes", []), "scheme_id", "duplicate_scheme",
                         "scheme code", sheets.get("schemes"), problems)
    for code in ("contributors", "beneficiaries", "expenditure") if "schemes" in tables else ():
        for row in tables.get(code, []):
            sid = row["scheme_id"]
            if sid is not None and sid not in scheme_ids:
                problems.add("unknown_scheme", f"scheme code {show(sid)} is not in the "
                             f"'{sheets['schemes']}' sheet", sheets[code],
                             row["_cells"]["scheme_id"], sid)
    _unique(tables.get("context", []), "item", "duplicate_item", "item", sheets["context"],
            problems)
    for row in tables.get("context", []):
        item = row["item"]
        if row["total"] is not None and item not in MONEY_ITEMS and not row[
                "total"].is_integer():
            problems.add("not_whole_number", f"{row['total']} is not a whole number of "
                         "persons", sheets["context"], row["_cells"]["total"], row["total"])

    money = any(row["item"] in MONEY_ITEMS and row["total"] is not None
                for row in tables.get("context", [])) or bool(tables.get("expenditure"))
    if money and cover.get("currency", (None,))[0] is None:
        problems.add("missing_value", "the currency (ISO 4217) is required when GDP, "
                     "government expenditure or the expenditure sheet are filled",
                     sheets["cover"], cover.get("currency", (None, None))[1])
    for rows in tables.values():
        for row in rows:
            row.pop("_cells", None)
