"""Parse one SSI workbook into typed rows, or reject it with reasons a person can act on.

The contract is ../shared/specs/ssi-workbook.md: tolerant of how people fill in
workbooks (four languages, titles above headers, columns in any order, text
numbers with local separators, many spellings of "missing"), strict about what
the numbers mean (negative counts, unknown codes, sex splits above totals...).
Every problem names its sheet, cell and value, as in
`Beneficiaries!E14: 'abc' is not a number`, and says what the focal point can do.

Focal points send what their office suite saves: `.xlsx`, `.xlsm`, `.xls`, `.xlsb` or
`.ods`, told apart by their content, not their name; python-calamine reads them all the
same way. What calamine does not tell is read from the file itself, only where it is
needed: an error value (`#DIV/0!`) or a formula never calculated reads as a blank in
calamine, so cells holding them are found in the sheet's own XML or records; an
encrypted workbook is recognised before calamine fails on it; and the file's size, each
sheet's rows and the cells each sheet spans are checked before the data is read into
memory (calamine sizes its grid from the farthest cell: one cell at XFD99999 of a 10 KB
file asks for 52 GB, and .xls and .ods sheets are all read when the file is opened).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import math
import os
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from python_calamine import CalamineWorkbook, PasswordError, SheetVisibleEnum

from ingest.landing import shown
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
# What one submission may weigh. A workbook of the inquiry is a few tens of KB; the
# limits keep one mistaken file (a database dump, a zip bomb) from taking the memory of
# the run. The file size is checked before the file is opened, the unpacked size of a
# zip-based workbook from its directory, a sheet's rows and the cells it spans before its
# cells are read. A sheet of the inquiry spans a few thousand cells; 2 million (100,000
# rows of 20 columns) keeps calamine's grid under 64 MB (32 bytes a cell), where Excel's
# 16,384 columns alone allow 52 GB in 99,999 rows.
MAX_FILE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 500 * 2**20
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000
# The largest figures the contract can mean. More persons than live on Earth (8.2 billion
# in 2025) is a typing or unit error; the largest amounts in a national currency are GDPs
# (Indonesia's 2022 GDP is 2e16 rupiah, Iran's near 1e17 rials), and a figure beyond the
# limit, or one too long to be a number at all (400 digits read as infinity), is refused
# rather than stored.
MAX_PERSONS = 10_000_000_000
MAX_AMOUNT = 10**18
MAX_REVISION = 999
MAX_YEAR = 9999

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
# How a number is written in a workbook of each language, for the messages.
NUMBER_EXAMPLES = {"en": "1,234.5", "fr": "1 234,5", "es": "1.234,5", "pt": "1 234,5"}
# The error values of Excel and LibreOffice, as a cell shows them (and as some files
# store them, as text). LibreOffice shows some errors as Err:NNN.
ERROR_TEXT = re.compile(
    r"#(NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|"
    r"BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!)|Err:\d{3}", re.IGNORECASE)
# Dates written as text on the cover: ISO first, then day/month/year.
ISO_SLASHED = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
ACT_UNREADABLE = ("open it in Excel or LibreOffice, save it again as a workbook (.xlsx) "
                  "and send the saved file")
ACT_PASSWORD = ("remove the password and send again (Excel: File > Info > Protect "
                "Workbook > Encrypt with Password, then clear the password and save; "
                "LibreOffice: File > Save As, untick 'Save with password')")


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


@dataclass(frozen=True)
class CellError:
    """A cell whose value is an error (`#DIV/0!`), or a formula with no saved result.

    calamine reads both as a blank; the parser puts one of these in their place, so that
    an error is reported where it is instead of passing for "not reported".
    """

    error: str | None  # '#DIV/0!', 'Err:502'; None: a formula that was never calculated
    formula: str | None = None

    def __str__(self) -> str:
        if self.error:
            return self.error
        return f"={self.formula}" if self.formula else "(formula)"


def submission_id(country_iso3: str, reference_year: int, revision: int) -> str:
    """The readable identity of a submission, e.g. `KHM-2019-r2`."""
    return f"{country_iso3}-{reference_year}-r{revision}"


def cell_name(row: int, col: int) -> str:
    """Excel address of zero-based (row, col)."""
    # openpyxl is imported where it is used: importing it takes a tenth of a second, which a
    # night with nothing new would pay for nothing.
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(col + 1)}{row + 1}"


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and normalise_label(value) in MISSING_MARKERS)


def is_error(value: object) -> bool:
    """An error value or an uncalculated formula, or text that is an error value."""
    if type(value) is str:
        return ("#" in value or "Err:" in value) and ERROR_TEXT.fullmatch(
            value.strip()) is not None
    return type(value) is CellError


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


def parse_date(value: object, language: str) -> dt.date:
    """A cover date: a date cell, or text. Raises ValueError saying why it is not one.

    Text may be ISO (2020-03-01, 2020/03/01, or with a time) or day/month/year
    (01/03/2020, 01.03.2020, 01-03-2020), the order French, Spanish and Portuguese
    workbooks use. In an English workbook 03/04/2020 may mean either order, so it is
    only read when one of the two numbers is above 12.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("is not a date")
    text = " ".join(value.split())
    for reader in (dt.date.fromisoformat, lambda t: dt.datetime.fromisoformat(t).date()):
        try:
            return reader(text)
        except ValueError:
            pass
    if match := ISO_SLASHED.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        if language == "en" and day <= 12 and month <= 12 and day != month:
            raise ValueError(f"could be {day} {MONTH_NAMES[month - 1]} or {month} "
                             f"{MONTH_NAMES[day - 1]}")
        if language == "en" and month > 12 >= day:
            day, month = month, day  # written month first, as in the United States
    else:
        raise ValueError("is not a date")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("is not a date (no such day)") from None


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
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)  # JSON has no infinity: the state would refuse the problem
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(code, message, value, sheet=sheet, cell=cell))


def _language(votes: Counter[str]) -> str:
    best = [lang for lang in LANGUAGES if votes[lang] == max(votes.values(), default=0)]
    return best[0] if best and votes[best[0]] else "en"


def _refuse(code: str, message: str, sheet: str | None = None) -> RejectedWorkbook:
    """A rejection of the whole file, before any of its cells could be read."""
    return RejectedWorkbook([Problem(code, message, sheet=sheet)])


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def _figure(value: object) -> str:
    """A figure as a message quotes it (`show`), a huge or very long one shortened."""
    if isinstance(value, float) and (not math.isfinite(value) or abs(value) >= 1e15):
        return f"{value:.6g}"
    text = show(value)
    if len(text) > 32:
        return f"{text[:16]}...{text[-8:]} ({sum(c.isdigit() for c in text):,} digits)"
    return text


def _letters(column: int) -> str:
    """The letters of a one-based column number, without Excel's limit: 16384 is XFD."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.upper().decode():
        number = number * 26 + ord(letter) - 64
    return number


def _too_many_cells(rows: int, columns: int) -> str:
    return (f"the sheet is used up to cell {_letters(columns)}{rows} ({rows:,} rows x "
            f"{columns:,} columns), more than the {MAX_CELLS:,} cells a sheet may have: "
            "delete the rows and columns beyond the table (even empty or only formatted "
            "ones), save and send again")


# ---------------------------------------------------------------------------------------
# Reading the file: which format it really is, and what calamine does not say.


ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE2 compound file: .xls, or encrypted
CHUNK = 2**20
SMALL_PART = 16 * 2**20  # zip members up to this size are inflated in memory, larger streamed
# A formula or an error (t="e") in a sheet's XML, with or without a namespace prefix, is
# found by byte searches (_has_formula), much faster than a regular expression over every
# sheet. Every formula ends in </f> (a shared formula's other cells are <f .../>, but its
# first cell holds the text).
OOXML_DIMENSION = re.compile(rb'dimension\s+ref="(?:[A-Za-z]+\d+:)?([A-Za-z]+)(\d+)"')
OOXML_REF = re.compile(r"([A-Za-z]+)(\d+)")
OOXML_ROW_NUMBER = re.compile(rb'(?:<|:)row\s[^>]*?\br="(\d+)"')
# A cell and its reference as Excel, LibreOffice and openpyxl write it (`_ooxml_size`).
OOXML_CELL = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"')
# Start tags and their attributes (local names), for the small workbook and relation parts.
XML_SHEET = re.compile(r"<(?:[\w.-]+:)?sheet\s([^>]*)>")
XML_RELATIONSHIP = re.compile(r"<(?:[\w.-]+:)?Relationship\s([^>]*)>")
XML_ATTRIBUTES = {
    name: re.compile(rf"""(?:^|\s)(?:[\w.-]+:)?{name}\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    for name in ("Id", "Target", "name", "id")}
# BIFF (.xls) and BIFF12 (.xlsb) error codes.
BINARY_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!",
                 0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}
ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
ODS_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
ODS_VALUE_TYPE = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}" \
    "value-type"
ODS_ERROR_MARK = b'value-type="error"'

Errors = dict[tuple[int, int], CellError]
# .xls cell records, their row and column first; and runs of cells: row, first column, ...,
# last column.
XLS_CELLS = frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
XLS_CELL_RUNS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK
XLSB_CELLS = frozenset(range(0x01, 0x0C))  # BrtCellBlank .. BrtFmlaError: column first
# The tags and attributes of an .ods table as calamine reads them, by their literal names;
# an attribute's value may hold a '>' (a formula), never a quote of its own kind.
ODS_TAG = re.compile(rb'<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])'
                     rb'((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>')
ODS_VALUE = re.compile(rb'\s(?:office:(?:value|value-type|string-value|date-value|time-value|'
                       rb'boolean-value)|table:formula)\s*=')
ODS_COLUMNS_REPEATED = re.compile(rb'\stable:number-columns-repeated\s*=\s*["\'](\d+)')
ODS_ROWS_REPEATED = re.compile(rb'\stable:number-rows-repeated\s*=\s*["\'](\d+)')
ODS_NAME = re.compile(rb'\stable:name\s*=\s*"([^"]*)"')


@dataclass
class _Size:
    """What a sheet's own bytes say of its size, read before calamine reads the sheet.

    `far`: (rows, columns) from A1 to the farthest cell, the larger of what its dimension
    claims and what its cells are at: calamine's grid spans its cells (its dimension alone
    costs nothing, but says how far the sheet is used); `rows`: the last row as the row
    limit counts it (the dimension's, else the last row met; None: unknown);
    `formulas`: whether an .xlsx sheet holds a formula or an error value; `errors`: the
    error cells of an .xls or .xlsb sheet, found on the same pass.
    """

    far: tuple[int, int]
    rows: int | None = None
    formulas: bool = True
    errors: Errors | None = None

    @property
    def cells(self) -> int:
        return self.far[0] * self.far[1]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Workbook:
    """One workbook file: its real format, calamine's reader, and the cells calamine blanks.

    The file is read from disk once (its size checked first); calamine and the checks
    below read the same bytes. `kind` is found from the content ("xlsx" also stands for
    .xlsm), so a workbook saved under another format's name is still read for what it is.
    Every sheet's size is measured before calamine opens the file (`_measure`); without
    `read`, calamine does not open it at all.
    """

    def __init__(self, path: Path, read: bool = True):
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size <= MAX_FILE_BYTES:
                    self.data = handle.read(MAX_FILE_BYTES + 1)  # if it grew meanwhile
                    size = len(self.data)
            if size > MAX_FILE_BYTES:
                raise _refuse("too_large", f"the file is {_megabytes(size)}, more than the "
                              f"{_megabytes(MAX_FILE_BYTES)} a workbook may be: remove "
                              "pictures, copies of sheets and data that are not part of the "
                              "inquiry, save it and send again")
        except OSError as error:
            raise _refuse("unreadable_file", f"the file cannot be opened ({error.strerror}): "
                          "send it again") from None
        self.zip: _Zip | None = None
        self._parts: dict[str, str | None] | None = None
        self._errors: dict[str, Errors] | None = None
        head = self.data[:8]
        if head.startswith(CFB_MAGIC):
            self.kind = _compound_kind(self.data)
        elif head[:4] in ZIP_MAGIC:
            self.zip = _Zip(self.data)
            self.kind = self.zip.kind()
        else:
            raise _refuse("unreadable_file", f"this is not a spreadsheet workbook "
                          f"({_what_it_is(head, path)}): {ACT_UNREADABLE}")
        self.sizes = self._measure()
        for name, measured in self.sizes.items():
            if measured.cells > MAX_CELLS:
                raise _refuse("too_many_cells", _too_many_cells(*measured.far), name)
        if not read:
            return
        try:
            # From a file object, calamine picks its reader by content, not by the name.
            self.book = CalamineWorkbook.from_filelike(io.BytesIO(self.data))
            self.names = list(self.book.sheet_names)
            self.hidden = {m.name for m in self.book.sheets_metadata
                           if m.visible != SheetVisibleEnum.Visible}
        except PasswordError:
            raise _refuse("encrypted_workbook", "the workbook is protected by a password, "
                          f"so it cannot be read: {ACT_PASSWORD}") from None
        except Exception as error:  # calamine raises several types for damaged files
            raise _damaged(error) from None

    def close(self) -> None:
        if getattr(self, "book", None) is not None:
            self.book.close()
        self.data = b""

    def grid(self, name: str, problems: _Collector) -> list[list] | None:
        """The cells of a sheet, error cells marked; None (with a problem) when too long or
        too wide. What calamine read is checked again before it becomes Python objects."""
        measured = self.sizes.get(name)
        rows = measured.rows if measured else None
        sheet, columns = None, 0
        if rows is None or rows <= MAX_ROWS:
            try:
                sheet = self.book.get_sheet_by_name(name)
            except Exception as error:  # a damaged sheet part
                raise _damaged(error) from None
            rows, columns = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
        if rows > MAX_ROWS:
            problems.add("too_many_rows", f"the sheet is used down to row {rows:,}, more than "
                         f"the {MAX_ROWS:,} rows a sheet may have: delete the rows below the "
                         "table (even empty or only formatted ones), save and send again", name)
            return None
        if rows * columns > MAX_CELLS:
            problems.add("too_many_cells", _too_many_cells(rows, columns), name)
            return None
        grid = sheet.to_python(skip_empty_area=False)
        for (r, c), error in self._cell_errors(name).items():
            while len(grid) <= r:
                grid.append([])
            row = grid[r]
            if len(row) <= c:
                row.extend([""] * (c + 1 - len(row)))
            row[c] = error
        return grid

    def _measure(self) -> dict[str, _Size]:
        """The size of every sheet, by name, from the file's own bytes: .xls and .ods
        sheets are all read by calamine when it opens the file, an .xlsx or .xlsb sheet
        when it is asked for, and the feedback workbook copies every sheet. A sheet these
        checks cannot follow is left to calamine, which says whether it is damaged."""
        try:
            if self.kind == "xls":
                return _xls_sizes(self.data)
            if self.kind == "ods":
                return _ods_sizes(self.zip)
            parts = dict(self._sheet_parts())
        except Exception:
            return {}
        if not parts or None in parts.values():  # a sheet not found: every sheet part there is
            parts |= {name: name for name in self.zip.infos if name not in parts.values() and
                      re.fullmatch(r"xl/worksheets/[^/]+\.(xml|bin)",
                                   name.replace("\\", "/").lower())}
        sizes = {}
        for name, part in parts.items():
            try:
                if part is not None:
                    sizes[name] = (_ooxml_size if self.kind == "xlsx" else _xlsb_size)(
                        self.zip, part)
            except Exception:
                continue
        return sizes

    def _sheet_parts(self) -> dict[str, str | None]:
        if self._parts is None:
            try:
                self._parts = _sheet_parts(self.zip, self.kind)
            except Exception:  # calamine read the workbook: leave the extra checks out
                self._parts = {}
        return self._parts

    def _cell_errors(self, name: str) -> Errors:
        measured = self.sizes.get(name)
        try:
            if self.kind == "xlsx":
                part = self._sheet_parts().get(name)
                return _ooxml_errors(self.zip, part) if part and (
                    measured is None or measured.formulas) else {}
            if self.kind in ("xlsb", "xls"):  # found when the sheet was measured
                return measured.errors or {} if measured else {}
            if self._errors is None:  # .ods: one pass over the whole workbook
                self._errors = _ods_errors(self.zip)
            return self._errors.get(name, {})
        except Exception:
            # calamine has read the sheet: a part these checks cannot follow (XML stricter
            # parsers refuse, records out of the usual order) is not a damaged workbook.
            # Its error cells then read as blanks, as they would without the checks.
            return {}


class _Zip:
    """A zip-based workbook in memory: its directory, and its members.

    Small members are inflated straight from the bytes, several times faster than
    zipfile's reader for the small parts of a workbook, and never beyond the size the
    directory declares (which the unpacked-size limit has checked).
    """

    def __init__(self, data: bytes):
        self.data = data
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            self.infos = {info.filename: info for info in self.archive.infolist()}
        except Exception as error:
            raise _damaged(error) from None
        self.lower = {name.lower(): name for name in self.infos}

    def kind(self) -> str:
        """xlsx (or xlsm), xlsb or ods; rejects a zip that is none, too big or encrypted."""
        unpacked = sum(info.file_size for info in self.infos.values())
        names = self.infos
        kind = ("ods" if "content.xml" in names else "xlsb" if "xl/workbook.bin" in names
                else "xlsx" if "xl/workbook.xml" in names else None)
        if unpacked > MAX_UNPACKED_BYTES:
            raise _refuse("too_large", f"the workbook unpacks to {_megabytes(unpacked)}, more "
                          f"than the {_megabytes(MAX_UNPACKED_BYTES)} a workbook may hold: "
                          "remove pictures, copies of sheets and data that are not part of "
                          "the inquiry, save it and send again")
        if kind is None:
            raise _refuse("unreadable_file", "this is a zip archive but not a workbook: send "
                          "the workbook itself (.xlsx), not an archive or another document")
        if kind == "ods" and "META-INF/manifest.xml" in names and \
                b"encryption-data" in self.read("META-INF/manifest.xml"):
            raise _refuse("encrypted_workbook", "the workbook is protected by a password, "
                          f"so it cannot be read: {ACT_PASSWORD}")
        return kind

    def find(self, name: str) -> str | None:
        return self.lower.get(name.lower())

    def size(self, name: str) -> int:
        return self.infos[name].file_size

    def read(self, name: str) -> bytes:
        info = self.infos[name]
        start = info.header_offset
        if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or \
                info.flag_bits & 1 or self.data[start:start + 4] != b"PK\x03\x04":
            return self.archive.read(name)
        name_length, extra_length = struct.unpack_from("<HH", self.data, start + 26)
        start += 30 + name_length + extra_length
        raw = self.data[start:start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            return raw
        inflated = zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
        if len(inflated) != info.file_size:
            raise zipfile.BadZipFile(f"member {name} is damaged")
        return inflated

    def stream(self, name: str):
        """A file object over a member: in memory when small, else zipfile's reader."""
        if self.size(name) <= SMALL_PART:
            return io.BytesIO(self.read(name))
        return self.archive.open(name)


def _damaged(error: Exception) -> RejectedWorkbook:
    detail = shown(" ".join(str(error).split())[:120]) or type(error).__name__
    return _refuse("unreadable_file", "the file is damaged or incomplete (perhaps cut short "
                   f"when it was sent) and cannot be read ({detail}): {ACT_UNREADABLE}")


def _what_it_is(head: bytes, path: Path) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doc", b"<?xml", b"<table")):
        return "a web page or XML file"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if not head:
        return "an empty file"
    if all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text or CSV file"
    return f"its content is not that of a {path.suffix or 'spreadsheet'} file"


def _compound_kind(data: bytes) -> str:
    """An OLE2 compound file: an .xls workbook, or an encrypted workbook of any format.

    msoffcrypto-tool is a dependency for this: it tells an encrypted .xlsx/.xlsm/.xlsb
    (a compound file holding the encrypted package) or a password-protected .xls (a
    FILEPASS record) from a plain .xls, which calamine alone reports as damaged.
    """
    import msoffcrypto  # only for compound files
    import olefile

    try:
        encrypted = msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except Exception:  # not an Office file msoffcrypto knows, or a damaged one
        encrypted = False
    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except Exception as error:
        raise _damaged(error) from None
    if encrypted or "EncryptedPackage" in streams:
        raise _refuse("encrypted_workbook", "the workbook is protected by a password, so "
                      f"it cannot be read: {ACT_PASSWORD}")
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    raise _refuse("unreadable_file", "this is an Office file but not a workbook (perhaps a "
                  f"Word or PowerPoint document): {ACT_UNREADABLE}")


def _sheet_parts(archive: _Zip, kind: str) -> dict[str, str | None]:
    """Sheet name -> the zip member holding it, from the workbook part and its relations."""
    workbook = "xl/workbook.xml" if kind == "xlsx" else "xl/workbook.bin"
    targets = {}
    rels = archive.find(f"xl/_rels/{posixpath.basename(workbook)}.rels")
    for element in XML_RELATIONSHIP.finditer(archive.read(rels).decode() if rels else ""):
        target = _attribute(element.group(1), "Target") or ""
        target = target[1:] if target.startswith("/") else f"xl/{target}"
        if "./" in target:
            target = posixpath.normpath(target)
        targets[_attribute(element.group(1), "Id")] = archive.find(target)
    parts = {}
    if kind == "xlsx":
        for element in XML_SHEET.finditer(archive.read(workbook).decode()):
            name = _attribute(element.group(1), "name")
            parts[name] = targets.get(_attribute(element.group(1), "id"))
        return parts
    for typ, body in _xlsb_records(archive.read(workbook)):
        if typ == 0x9C:  # BrtBundleSh: state, tab id, relation id, name
            rel_id, at = _wide_string(body, 8)
            name, _ = _wide_string(body, at)
            parts[name] = targets.get(rel_id)
    return parts


def _attribute(text: str, name: str) -> str | None:
    """An attribute of an XML start tag by its local name (any prefix), entities resolved.

    String searches first (`name="`, after a space or a prefix's colon), the regular
    expression only when they find nothing: several times faster on these small parts.
    """
    value = None
    for quote in ('"', "'"):
        key = f"{name}={quote}"
        at = text.find(key)
        while at > 0 and not (text[at - 1].isspace() or text[at - 1] == ":"):
            at = text.find(key, at + 1)  # sheetId= is not Id=
        if at >= 0:
            start = at + len(key)
            end = text.find(quote, start)
            value = text[start:end] if end >= 0 else None
            break
    if value is None:
        match = XML_ATTRIBUTES[name].search(text)
        if match is None:
            return None
        value = match.group(1) if match.group(1) is not None else match.group(2)
    return html.unescape(value) if "&" in value else value


def _has_formula(data: bytes) -> bool:
    # b"f>" ends every formula element and b'"e"' every error type: one pass each first.
    return (b"f>" in data and (b"</f>" in data or b":f>" in data)) or b't="e"' in data


def _rows_in(data: bytes) -> int:
    return sum(data.count(mark) for mark in (b"<row ", b"<row>", b":row ", b":row>"))


def _ooxml_size(archive: _Zip, part: str) -> _Size:
    """An .xlsx sheet's size, and whether it holds formulas or errors, before calamine
    reads it.

    The farthest cell is the larger of its <dimension> and the cell references met while
    the XML streams by (a dimension may be missing or lie); the last row for the row limit
    comes from the dimension, else from the last <row> (rows are counted as they pass). A
    sheet is streamed, never parsed nor held whole, and no further than the cell limit.
    Cells written otherwise than `<c r="A1"` (no reference, which calamine places after
    the cell before it; a prefix; other spacing) are found by counting the cell tags, and
    then placed as calamine places them (`_ooxml_places`).
    """
    with archive.stream(part) as stream:
        head = stream.read(CHUNK)
        at = head.find(b"dimension", 0, 8192)  # a string search, then the expression
        match = OOXML_DIMENSION.match(head, at) if at >= 0 else None
        rows = int(match.group(2)) if match else None
        far_row, far_column = (rows, _column_number(match.group(1))) if match else (0, 0)
        found = False
        last = count = odd = 0
        chunk, tail = head, b""
        while chunk and far_row * far_column <= MAX_CELLS:
            data = tail + chunk
            found = found or _has_formula(data)
            if rows is None:
                count += _rows_in(data) - _rows_in(tail)
                start = max(data.rfind(b"<row "), data.rfind(b":row "))
                numbered = OOXML_ROW_NUMBER.match(data, start) if start >= 0 else None
                last = max(last, int(numbered.group(1)) if numbered else 0)
            cells = OOXML_CELL.findall(data)
            if cells:
                far_row = max(far_row, max(int(row) for _, row in cells))
                far_column = max(far_column, max(map(_column_number, {c for c, _ in cells})))
            odd += _cell_tags(data) - _cell_tags(tail) - len(cells) + len(
                OOXML_CELL.findall(tail))
            tail, chunk = chunk[-64:], stream.read(CHUNK)
    if odd and far_row * far_column <= MAX_CELLS:
        placed_row, placed_column = _ooxml_places(archive, part)
        far_row, far_column = max(far_row, placed_row), max(far_column, placed_column)
    return _Size((far_row, far_column), rows if rows is not None else max(last, count) or None,
                 found)


def _cell_tags(data: bytes) -> int:
    """The cell tags in a piece of sheet XML, in any form (`<c`, less the other elements of
    a sheet that start so; `x:c`)."""
    return data.count(b"<c") - data.count(b"<co") - data.count(b"<cf") - data.count(
        b"<cu") - data.count(b"<ce") + data.count(b":c ") + data.count(b":c>") + data.count(
        b":c/")


def _ooxml_places(archive: _Zip, part: str) -> tuple[int, int]:
    """(rows, columns) from A1 to the farthest cell of an .xlsx sheet, cells without a
    reference placed as calamine places them: after the cell before, on the row's number
    or the row after the previous one."""
    far_row = far_column = row = column = 0
    with archive.stream(part) as stream:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            tag = _local(elem.tag)
            if tag == "c" and event == "start":
                ref = OOXML_REF.fullmatch(elem.get("r") or "")
                at = row
                if ref:
                    at, column = int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1
                far_row, far_column = max(far_row, at + 1), max(far_column, column + 1)
                column += 1
            elif tag == "row" and event == "start":
                if (elem.get("r") or "").isdigit():
                    row = int(elem.get("r")) - 1
            elif event == "end" and tag in ("c", "row"):
                if tag == "row":
                    row, column = row + 1, 0
                elem.clear()
            elif event == "end" and tag == "sheetData":
                break
    return far_row, far_column


def _ooxml_errors(archive: _Zip, part: str) -> Errors:
    """Cells of an OOXML sheet cached as an error (t="e"), or formulas with no cached value.

    A formula whose result is an empty text is cached as t="str" with an empty <v>: that
    is a value (blank), not a missing one.
    """
    from openpyxl.utils.cell import column_index_from_string

    errors: Errors = {}
    row = col = -1
    with archive.stream(part) as stream:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "row":
                    row = int(elem.get("r")) - 1 if elem.get("r") else row + 1
                    col = -1
                elif tag == "c":
                    ref = OOXML_REF.fullmatch(elem.get("r") or "")
                    col = column_index_from_string(ref.group(1).upper()) - 1 if ref else col + 1
                continue
            if tag == "c":
                kind, formula, value = elem.get("t"), None, None
                for child in elem:
                    if _local(child.tag) == "f":
                        formula = child.text or ""
                    elif _local(child.tag) == "v":
                        value = child.text
                if kind == "e":
                    errors[(row, col)] = CellError(value or "#ERROR", formula or None)
                elif formula is not None and not value and kind not in ("str", "s", "inlineStr"):
                    errors[(row, col)] = CellError(None, formula or None)
                elem.clear()
            elif tag == "row":
                elem.clear()
            elif tag == "sheetData":
                break
    return errors


def _xls_sizes(data: bytes) -> dict[str, _Size]:
    """Every sheet of a BIFF5/BIFF8 .xls: its farthest cell, by its DIMENSIONS record or its
    cell records, and its error cells, from its FORMULA and BOOLERR records, in one pass.

    calamine reads every sheet when it opens the file, and sizes each from its cells; it
    blanks error cells, whose records keep the error code (a formula's cached result, or
    an error typed as a constant).
    """
    import olefile

    with olefile.OleFileIO(data) as ole:
        stream = ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()
    sheets: list[tuple[str, int]] = []
    biff8 = True
    for typ, body in _biff_records(stream, 0):
        if typ == 0x0809 and not sheets:  # BOF of the globals: the BIFF version
            biff8 = body[:2] == b"\x00\x06"
        elif typ == 0x0085:  # BOUNDSHEET: where the sheet starts, and its name
            (offset,) = struct.unpack_from("<I", body)
            length = body[6]
            if biff8:
                wide = body[7] & 1
                name = body[8:8 + length * (2 if wide else 1)].decode(
                    "utf-16-le" if wide else "latin-1", "replace")
            else:
                name = body[7:7 + length].decode("cp1252", "replace")
            sheets.append((name, offset))
        elif typ == 0x000A:  # EOF of the globals
            break
    out: dict[str, _Size] = {}
    for name, offset in sheets:
        errors: Errors = {}
        far_row = far_column = 0
        for typ, body in _biff_records(stream, offset):
            if typ in XLS_CELLS and len(body) >= 4:
                row, col = struct.unpack_from("<HH", body)
                far_row, far_column = max(far_row, row + 1), max(far_column, col + 1)
                if typ == 0x0006 and len(body) >= 14 and body[12:14] == b"\xff\xff" \
                        and body[6] == 2:  # FORMULA whose cached result is an error
                    errors[(row, col)] = CellError(BINARY_ERRORS.get(body[8], "#ERROR"))
                elif typ == 0x0205 and len(body) >= 8 and body[7] == 1:  # BOOLERR: an error
                    errors[(row, col)] = CellError(BINARY_ERRORS.get(body[6], "#ERROR"))
            elif typ in XLS_CELL_RUNS and len(body) >= 6:
                row, = struct.unpack_from("<H", body)
                (col,) = struct.unpack_from("<H", body, len(body) - 2)
                far_row, far_column = max(far_row, row + 1), max(far_column, col + 1)
            elif typ == 0x0200:  # DIMENSIONS: first row, last row + 1, first and last + 1 col
                if len(body) >= 12 and biff8:
                    _, rows, _, columns = struct.unpack_from("<IIHH", body)
                elif len(body) >= 8:
                    _, rows, _, columns = struct.unpack_from("<HHHH", body)
                else:
                    rows = columns = 0
                far_row, far_column = max(far_row, rows), max(far_column, columns)
            elif typ == 0x000A:
                break
        out[name] = _Size((far_row, far_column), errors=errors)
    return out


def _biff_records(data: bytes, pos: int):
    while pos + 4 <= len(data):
        typ, size = struct.unpack_from("<HH", data, pos)
        yield typ, data[pos + 4:pos + 4 + size]
        pos += 4 + size


def _ods_sizes(archive: _Zip) -> dict[str, _Size]:
    """The farthest cell of every table of an .ods that holds something (a value or a
    formula), its repeats counted, by table name.

    calamine reads every table when it opens the file and repeats cells and rows as often
    as the file says: empty ones only up to the next that holds something (LibreOffice
    ends each row with its 16,000 empty columns, and each table with a million empty rows),
    the others however many they are. Read as calamine reads it, by the tags' literal
    names (`table:table-cell`), with no XML parser that could refuse what calamine takes.
    Stops at the first table over the cell limit.
    """
    out: dict[str, _Size] = {}
    name, far_row, far_column, row, column, in_row, repeat = None, 0, 0, 0, 0, 0, 1
    with archive.stream("content.xml") as stream:
        rest = b""
        while True:
            chunk = stream.read(CHUNK)
            data = rest + chunk
            cut = data.rfind(b"<") if chunk else len(data)
            rest = data[cut:] if chunk and cut >= 0 else b""
            for closing, tag, attributes in ODS_TAG.findall(data[:cut] if cut >= 0 else data):
                ends = closing or attributes.rstrip().endswith(b"/")
                if tag in (b"table-cell", b"covered-table-cell"):
                    if not closing:
                        column += _ods_number(attributes, ODS_COLUMNS_REPEATED)
                        if ODS_VALUE.search(attributes):
                            in_row = column
                    continue
                if tag == b"table-row" and not closing:
                    column, in_row = 0, 0
                    repeat = _ods_number(attributes, ODS_ROWS_REPEATED)
                if tag == b"table-row" and ends:
                    row += repeat
                    if in_row:
                        far_row, far_column = row, max(far_column, in_row)
                        if far_row * far_column > MAX_CELLS:
                            out[name] = _Size((far_row, far_column))
                            return out
                elif tag == b"table" and not closing:
                    found = ODS_NAME.search(attributes)
                    name = html.unescape(found.group(1).decode()) if found else None
                    far_row = far_column = row = 0
                elif tag == b"table" and closing:
                    out[name] = _Size((far_row, far_column))
            if not chunk:
                return out


def _ods_number(attributes: bytes, pattern: re.Pattern) -> int:
    found = pattern.search(attributes)
    return int(found.group(1)) if found else 1


def _ods_errors(archive: _Zip) -> dict[str, Errors]:
    """Cells of every table of an .ods whose formula gives an error.

    LibreOffice marks them calcext:value-type="error" and shows the error as the cell's
    text (#DIV/0!, Err:502); calamine reads them as blanks. Parsed only when the mark
    is there.
    """
    with archive.stream("content.xml") as stream:
        tail, found = b"", False
        while not found and (chunk := stream.read(CHUNK)):
            found = ODS_ERROR_MARK in tail + chunk
            tail = chunk[-32:]
    if not found:
        return {}
    out: dict[str, Errors] = {}
    errors: Errors = {}
    in_row: dict[int, CellError] = {}
    row = col = 0
    with archive.stream("content.xml") as stream:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            tag = elem.tag
            if event == "start":
                if tag == f"{ODS_TABLE}table":
                    errors = out.setdefault(elem.get(f"{ODS_TABLE}name"), {})
                    row = 0
                elif tag == f"{ODS_TABLE}table-row":
                    col, in_row = 0, {}
                continue
            if tag in (f"{ODS_TABLE}table-cell", f"{ODS_TABLE}covered-table-cell"):
                repeat = int(elem.get(f"{ODS_TABLE}number-columns-repeated", 1))
                if elem.get(ODS_VALUE_TYPE) == "error":
                    text = " ".join("".join(p.itertext()) for p in elem if p.tag == ODS_TEXT_P)
                    for offset in range(min(repeat, MAX_PROBLEMS)):
                        in_row[col + offset] = CellError(text.strip() or "#ERROR")
                col += repeat
                elem.clear()
            elif tag == f"{ODS_TABLE}table-row":
                repeat = int(elem.get(f"{ODS_TABLE}number-rows-repeated", 1))
                for offset in range(min(repeat, MAX_PROBLEMS) if in_row else 0):
                    errors.update({(row + offset, c): e for c, e in in_row.items()})
                row += repeat
                elem.clear()
    return out


def _xlsb_records(data: bytes):
    """The records of a BIFF12 (.xlsb) part: type and size as 7-bit varints, then the body."""
    pos, end = 0, len(data)
    while pos < end:
        byte = data[pos]
        typ, pos = byte & 0x7F, pos + 1
        if byte & 0x80:
            typ, pos = typ | (data[pos] & 0x7F) << 7, pos + 1
        size = 0
        for shift in (0, 7, 14, 21):
            byte, pos = data[pos], pos + 1
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        yield typ, data[pos:pos + size]
        pos += size


def _wide_string(body: bytes, at: int) -> tuple[str | None, int]:
    (length,) = struct.unpack_from("<I", body, at)
    if length == 0xFFFFFFFF:
        return None, at + 4
    return body[at + 4:at + 4 + 2 * length].decode("utf-16-le"), at + 4 + 2 * length


def _xlsb_size(archive: _Zip, part: str) -> _Size:
    """An .xlsb sheet's size, from its BrtWsDim record and its cell records, and its error
    cells (BrtCellError and BrtFmlaError records), in one pass over its records.

    calamine reads a constant error as a blank and skips a formula's error altogether.
    Stops at the cell limit.
    """
    errors: Errors = {}
    rows = None
    row = far_row = far_column = 0
    for typ, body in _xlsb_records(archive.read(part)):
        if typ in XLSB_CELLS and len(body) >= 4:
            (col,) = struct.unpack_from("<I", body)
            far_row, far_column = max(far_row, row + 1), max(far_column, col + 1)
            if typ in (0x03, 0x0B) and len(body) >= 9:  # BrtCellError, BrtFmlaError
                errors[(row, col)] = CellError(BINARY_ERRORS.get(body[8], "#ERROR"))
        elif typ == 0x00:  # BrtRowHdr
            (row,) = struct.unpack_from("<I", body)
        elif typ == 0x94 and len(body) >= 16:  # BrtWsDim: first and last rows and columns
            _, last_row, _, last_column = struct.unpack_from("<IIII", body)
            rows = last_row + 1
            far_row, far_column = max(far_row, rows), max(far_column, last_column + 1)
        elif typ == 0x92:  # BrtEndSheetData
            break
        if far_row * far_column > MAX_CELLS:
            break
    return _Size((far_row, far_column), rows, errors=errors)



# ---------------------------------------------------------------------------------------
# Parsing: sheets, cover, tables.


def size_problem(path: str | Path) -> Problem | None:
    """Why a workbook must not be read whole with calamine (the file is too large, or a
    sheet spans more than MAX_CELLS cells, for which calamine would size its grid), else
    None: for what reads a workbook besides the parser (a feedback workbook copies every
    sheet of the archived file). Only the file's own bytes are read."""
    try:
        _Workbook(Path(path), read=False).close()
    except RejectedWorkbook as rejection:
        if rejection.code in ("too_large", "too_many_cells"):
            return rejection.problems[0]
    return None


def parse_workbook(path: str | Path) -> ParsedSubmission:
    """Parse an SSI workbook; raise RejectedWorkbook listing what is wrong with it."""
    book = _Workbook(Path(path))
    try:
        return _parse(book)
    finally:
        book.close()


def _parse(book: _Workbook) -> ParsedSubmission:
    problems = _Collector()
    votes: Counter[str] = Counter()
    sheets = _find_sheets(book, problems, votes)
    if problems.problems:
        raise RejectedWorkbook(problems.problems)
    grids = {code: book.grid(name, problems) for code, name in sheets.items()}
    if problems.problems:
        raise RejectedWorkbook(problems.problems)

    errored: set[str] = set()  # cover keys whose cell holds an error, already reported
    cover, cover_cells = _read_cover(grids["cover"], sheets["cover"], votes, problems, errored)
    raw_tables = {code: _read_table(code, grids[code], sheets[code], problems, votes)
                  for code in COLUMNS if code in sheets}
    language = _language(votes)

    identity = _check_cover(cover, sheets["cover"], language, problems, errored)
    tables = {code: _type_rows(code, rows, sheets[code], language, problems)
              for code, rows in raw_tables.items() if rows is not None}
    _check_tables(tables, sheets, cover, problems, errored)
    if problems.problems:
        raise RejectedWorkbook(problems.problems, identity)
    return ParsedSubmission(
        country_iso3=identity["country_iso3"], reference_year=identity["reference_year"],
        revision=identity["revision"], language=language,
        cover=_typed_cover(cover, language), cover_cells=cover_cells, tables=tables,
        sheets=[code for code in SHEETS if code in sheets],
    )


def _find_sheets(book: _Workbook, problems: _Collector, votes: Counter[str]) -> dict[str, str]:
    """Sheet code -> the workbook's sheet, found by name in any of the four languages.

    Two sheets for the same table (`Beneficiaries` and `Bénéficiaires`) are ambiguous:
    the parser cannot know which holds the figures, so it names both.
    """
    found: dict[str, list[str]] = {}
    for name in book.names:
        match = SHEET_LOOKUP.get(normalise_label(name))
        if match:
            if match[0] not in found:
                votes.update(match[1])
            found.setdefault(match[0], []).append(name)
    for code, names in found.items():
        if len(names) > 1:
            listed = " and ".join(f"'{shown(n)}'" + (" (hidden)" if n in book.hidden else "")
                                  for n in names)
            problems.add("ambiguous_sheet", f"the workbook has {len(names)} {SHEETS[code][0]} "
                         f"sheets, {listed}, and only one may hold the figures: delete the "
                         f"others (or rename them, e.g. 'Old {shown(names[-1])}') and send "
                         "again",
                         names[-1])
    for code in REQUIRED_SHEETS:
        if code not in found:
            names = ", ".join(dict.fromkeys(SHEETS[code]))
            problems.add("missing_sheet", f"required sheet '{SHEETS[code][0]}' (or its "
                         f"translation) is missing; sheets found: {book.names}: add it from "
                         f"the SSI template, or name the sheet that holds it {names}")
    return {code: names[0] for code, names in found.items()}


def _error_problem(value: object, sheet: str, cell: str, problems: _Collector) -> None:
    """A cell that holds an error value, or a formula that was never calculated."""
    if isinstance(value, CellError) and value.error is None:
        formula = f" ={value.formula}" if value.formula else ""
        problems.add("formula_without_value", f"the formula{formula} has no saved result (the "
                     "file was written by a program that does not calculate): open the "
                     "workbook in Excel or LibreOffice, let it calculate, save it and send it "
                     "again", sheet, cell, str(value))
    else:
        text = str(value).strip()
        problems.add("formula_error", f"the cell shows the error {text} instead of a figure: "
                     "correct the formula or type the figure (or '..' if it is not "
                     "available), and send again", sheet, cell, text)


def _typed_cover(cover: dict, language: str) -> dict[str, object]:
    """The free-text and date fields of the cover, typed (identity is typed separately)."""
    date = cover.get("submission_date", (None,))[0]
    currency = _text(cover.get("currency", (None,))[0])
    return {
        "country_name": _text(cover.get("country_name", (None,))[0]),
        "submission_date": None if date is None else parse_date(date, language),
        "institution": _text(cover.get("institution", (None,))[0]),
        "contact_email": _text(cover.get("contact_email", (None,))[0]),
        "currency": currency.upper() if currency else None,
    }


def _read_cover(grid: list[list], sheet: str, votes: Counter[str], problems: _Collector,
                errored: set[str]):
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
            if is_error(value):
                _error_problem(value, sheet, cell_name(r, 1), problems)
                errored.add(key)
                value = None
            cover[key] = (None if is_missing(value) else value, cell_name(r, 1))
            votes.update(match[1])
        cells.append({"cell": cell_name(r, 1), "key": key, "label": _text(row[0]),
                      "value": _text(value)})
    return cover, cells


def _check_cover(cover: dict, sheet: str, language: str, problems: _Collector,
                 errored: set[str]) -> dict:
    """Validate and type the identity fields and the currency of the cover (a field whose
    cell holds an error has been reported as such, not as missing)."""
    identity: dict[str, object] = {}

    def where(key: str) -> str | None:
        return cover[key][1] if key in cover else None

    iso3 = _text(cover.get("country_iso3", (None,))[0])
    if "country_iso3" in errored:
        pass
    elif iso3 is None:
        problems.add("missing_value", "the ISO3 country code is required: fill in the "
                     "three-letter code of your country (e.g. KHM for Cambodia)", sheet,
                     where("country_iso3"))
    elif iso3.upper() not in COUNTRY_CODES:
        problems.add("unknown_country", f"{show(iso3)} is not an ISO 3166-1 alpha-3 country "
                     "code: fill in the three-letter code of your country (e.g. KHM for "
                     "Cambodia)", sheet, where("country_iso3"), iso3)
    else:
        identity["country_iso3"] = iso3.upper()

    this_year = dt.date.today().year
    for key, low, high, default in (("reference_year", FIRST_YEAR, this_year, None),
                                    ("revision", 1, MAX_REVISION, 1)):
        raw = cover.get(key, (None,))[0]
        what = key.replace("_", " ")
        if key in errored:
            continue
        if raw is None and default is not None:
            identity[key] = default
            continue
        if raw is None:
            problems.add("missing_value", f"the {what} is required: fill in the year the "
                         "figures refer to (e.g. 2023)", sheet, where(key))
            continue
        try:
            number = parse_number(raw, "en")
        except ValueError:
            number = None
        if number is None or not number.is_integer():
            problems.add("not_a_number", f"{_figure(raw)} is not a whole number: write the "
                         f"{what} in digits (e.g. {2023 if key == 'reference_year' else 2})",
                         sheet, where(key), raw)
            continue
        if number < low or (high is not None and number > high):
            if key == "reference_year":
                code, advice = "year_out_of_range", "give the year the figures refer to"
            else:
                code, advice = "invalid_revision", ("number a first submission 1 and each "
                                                    "correction one more than the last")
            bounds = f"{low}..{high}" if key == "reference_year" else \
                f"at least {low}" if number < low else f"at most {high}"
            problems.add(code, f"{_figure(raw)} is out of range ({bounds}): {advice}", sheet,
                         where(key), raw)
            continue
        identity[key] = int(number)

    currency = _text(cover.get("currency", (None,))[0])
    if currency is not None and currency.upper() not in CURRENCIES:
        problems.add("unknown_code", f"{show(currency)} is not an ISO 4217 currency code: "
                     "write the three-letter code of the currency of the amounts (e.g. USD, "
                     "XOF, KHR)", sheet, where("currency"), currency)
    date = cover.get("submission_date", (None,))[0]
    if date is not None:
        try:
            parse_date(date, language)
        except ValueError as error:
            problems.add("invalid_date", f"{show(date)} {error}: write the date as YYYY-MM-DD "
                         "(e.g. 2024-03-01) or enter it as a date", sheet,
                         where("submission_date"), date)
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
        expected = [c[0] for c in COLUMNS[code].values()]
        problems.add("missing_header", f"no header row found: expected the column labels "
                     f"{expected}: put the column labels of the SSI template in one row "
                     "above the figures", sheet)
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
                     f"translation) not found in header row {header_row + 1}: add the column, "
                     "or correct its label to the template's", sheet)
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
        # Unknown columns are only kept: an error there is kept as its text, not refused.
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
        errors = set()
        for col in COLUMNS[code]:
            value, cell = raw["cells"].get(col, (None, None))
            cells[col] = cell
            if is_error(value):
                _error_problem(value, sheet, cell, problems)
                typed[col] = None
                errors.add(col)
            elif col in COUNT_COLUMNS or col in AMOUNT_COLUMNS:
                money = col in AMOUNT_COLUMNS or typed.get("item") in MONEY_ITEMS
                typed[col] = _typed_number(code, col, value, sheet, cell, language, problems,
                                           MAX_AMOUNT if money else MAX_PERSONS)
            elif col == "start_year":
                number = _typed_number(code, col, value, sheet, cell, "en", problems, MAX_YEAR)
                typed[col] = int(number) if number is not None else None
            else:
                text = _text(value)
                if col in CODE_COLUMNS and text is not None:
                    text = text.upper()
                    if text not in CODE_COLUMNS[col]:
                        problems.add("unknown_code", f"{show(value)} is not a known "
                                     f"{col.replace('_', ' ')} code (expected one of "
                                     f"{', '.join(CODE_COLUMNS[col])}): use one of these "
                                     "codes", sheet, cell, value)
                typed[col] = text
        for col in REQUIRED_CELLS[code]:
            if typed.get(col) is None and cells[col] and col not in errors:
                problems.add("missing_value", f"{col.replace('_', ' ')} is required: fill it "
                             "in for every row of the table", sheet, cells[col])
        women, men, total = typed.get("women"), typed.get("men"), typed.get("total")
        if None not in (women, men, total) and women + men > total:
            problems.add("sex_split_exceeds_total", f"women + men ({women:,.0f} + {men:,.0f}) "
                         f"exceed the total ({total:,.0f}): correct the total or the figures "
                         "for women and men", sheet, cells["total"], total)
        typed["_cells"] = cells
        typed_rows.append(typed)
    return typed_rows


def _typed_number(code, col, value, sheet, cell, language, problems, limit) -> float | None:
    """A figure of a table, or None with a problem: not a number, negative, beyond `limit`
    (MAX_PERSONS, MAX_AMOUNT, MAX_YEAR; text too long to be a number reads as infinity),
    or a count of persons that is not whole."""
    try:
        number = parse_number(value, language)
        if number is not None and math.isnan(number):
            raise ValueError("is not a number")
    except ValueError as error:
        # The plain "is not a number" is quoted verbatim by the sample's README.
        advice = "" if str(error) == "is not a number" else (
            f": write it as {NUMBER_EXAMPLES[language]} in this workbook, or as a number cell")
        problems.add("not_a_number", f"{_figure(value)} {error}{advice}", sheet, cell, value)
        return None
    if number is None:
        return None
    if number > limit:
        if limit == MAX_YEAR:
            what = "is not a year: write the year the scheme started (e.g. 2002)"
        elif limit == MAX_PERSONS:
            what = (f"is more persons than there can be (at most {MAX_PERSONS:,}, more than "
                    "the world's population): correct the figure, or write '..' if it is not "
                    "known")
        else:
            what = (f"is more than any amount can be (at most 10^{len(str(MAX_AMOUNT)) - 1} in the "
                    "national currency): correct the figure, in units of the currency, or "
                    "write '..' if it is not known")
        problems.add("number_too_large", f"{_figure(value)} {what}", sheet, cell, value)
        return None
    if number < 0:
        problems.add("negative_value", f"{show(value)} is negative: counts and amounts cannot "
                     "be below zero; correct the figure, or write '..' if it is not known",
                     sheet, cell, value)
        return None
    if col in COUNT_COLUMNS and code != "context" and not number.is_integer():
        problems.add("not_whole_number", f"{show(value)} is not a whole number of persons: "
                     "give the count of persons without decimals", sheet, cell, value)
        return None
    return number


def _unique(rows: list[dict], column: str, code: str, what: str, sheet: str | None,
            problems: _Collector, advice: str) -> set[str]:
    """The values of `column`, with a problem for each one that appears again."""
    values: set[str] = set()
    for row in rows:
        value = row[column]
        if value in values:
            problems.add(code, f"{what} {show(value)} appears more than once: {advice}", sheet,
                         row["_cells"][column], value)
        values.add(value)
    return values


def _check_tables(tables: dict[str, list[dict]], sheets: dict[str, str], cover: dict,
                  problems: _Collector, errored: set[str]) -> None:
    """Rules across rows and sheets: unique schemes and items, known references, currency."""
    scheme_ids = _unique(tables.get("schemes", []), "scheme_id", "duplicate_scheme",
                         "scheme code", sheets.get("schemes"), problems,
                         "give each scheme its own code and list it once")
    for code in ("contributors", "beneficiaries", "expenditure") if "schemes" in tables else ():
        for row in tables.get(code, []):
            sid = row["scheme_id"]
            if sid is not None and sid not in scheme_ids:
                # Quoted verbatim by the sample's README: the message stays as it is.
                problems.add("unknown_scheme", f"scheme code {show(sid)} is not in the "
                             f"'{sheets['schemes']}' sheet", sheets[code],
                             row["_cells"]["scheme_id"], sid)
    _unique(tables.get("context", []), "item", "duplicate_item", "item", sheets["context"],
            problems, "keep one row per item")
    for row in tables.get("context", []):
        item = row["item"]
        if row["total"] is not None and item not in MONEY_ITEMS and not row[
                "total"].is_integer():
            problems.add("not_whole_number", f"{row['total']} is not a whole number of "
                         "persons: give the count of persons without decimals",
                         sheets["context"], row["_cells"]["total"], row["total"])

    money = any(row["item"] in MONEY_ITEMS and row["total"] is not None
                for row in tables.get("context", [])) or bool(tables.get("expenditure"))
    if money and cover.get("currency", (None,))[0] is None and "currency" not in errored:
        problems.add("missing_value", "the currency (ISO 4217) is required when GDP, "
                     "government expenditure or the expenditure sheet are filled: write the "
                     "three-letter code of the currency of the amounts (e.g. USD)",
                     sheets["cover"], cover.get("currency", (None, None))[1])
    for rows in tables.values():
        for row in rows:
            row.pop("_cells", None)
