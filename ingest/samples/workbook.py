"""Deterministic writer of SSI workbooks (../../../shared/specs/ssi-workbook.md).

Used to produce the bundled sample submissions and, in tests, messy variants of
them (shuffled sheets and columns, text numbers, notes under a table, unknown
columns). Every label comes from `ingest.ssi_labels`, so writer and parser share
one vocabulary. The same arguments always give the same bytes, so a re-generated
sample can be compared byte-for-byte and a re-delivered file is recognisably
identical.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from ingest.ssi_labels import COLUMNS, COVER_KEYS, LANGUAGES, SHEETS, label

TABLE_SHEETS = ("context", "schemes", "beneficiaries", "contributors", "expenditure")
DEFAULT_SHEET_ORDER = ("instructions", "cover", *TABLE_SHEETS)

# Section numbers shown in the titles above the tables (only decoration, never parsed).
SECTION_NUMBERS = {sheet: number for number, sheet in enumerate(TABLE_SHEETS, start=1)}
SECTION_WORD = {"en": "Section", "fr": "Section", "es": "Sección", "pt": "Secção"}
INSTRUCTIONS_SHEET = {"en": "Instructions", "fr": "Instructions", "es": "Instrucciones",
                      "pt": "Instruções"}
INSTRUCTIONS_TEXT = {
    "en": ("Social Security Inquiry - national submission",
           "Fill in one workbook per country and reference year.",
           "Send a correction as a new workbook with a higher revision number."),
    "fr": ("Enquête sur la sécurité sociale - soumission nationale",
           "Remplir un classeur par pays et par année de référence.",
           "Envoyer une correction dans un nouveau classeur avec une révision supérieure."),
    "es": ("Encuesta de Seguridad Social - envío nacional",
           "Complete un libro por país y año de referencia.",
           "Envíe una corrección en un libro nuevo con un número de revisión mayor."),
    "pt": ("Inquérito de Segurança Social - envio nacional",
           "Preencha um livro por país e ano de referência.",
           "Envie uma correção num livro novo com um número de revisão superior."),
}

# Fixed stamps: openpyxl would otherwise write the current time into docProps and the zip.
FIXED_PROPERTIES_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
CREATOR = "SPF Warehouse sample writer"


def write_ssi_workbook(
    path: str | Path,
    *,
    cover: dict,
    context: list[dict],
    schemes: list[dict],
    beneficiaries: list[dict],
    contributors: list[dict] | None = None,
    expenditure: list[dict] | None = None,
    language: str = "en",
    title: bool = True,
    notes: Sequence[str] | Mapping[str, Sequence[str]] = (),
    extra_columns: dict[str, dict[str, list]] | None = None,
    sheet_order: list[str] | None = None,
    column_order: dict[str, list[str]] | None = None,
    instructions: bool = True,
) -> Path:
    """Write one SSI submission workbook to `path` and return the path.

    `cover` maps `COVER_KEYS` codes to values (keys left out are not written);
    table rows map `COLUMNS[sheet]` codes to values, written as given (numbers as
    numbers, None as an empty cell, text verbatim). `contributors`/`expenditure`
    None leave the sheet out. `notes` (one list for every table sheet, or a
    mapping sheet code -> lines) go in column A right under the last data row.
    `extra_columns` adds unknown columns per sheet: header -> one value per row.
    `sheet_order` (sheet codes; "instructions" stays first unless listed) and
    `column_order` (codes or extra headers per sheet) put the listed ones first,
    the rest after in their default order. `instructions=False` leaves out the
    leading free-text sheet.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}")
    unknown = set(cover) - set(COVER_KEYS)
    if unknown:
        raise ValueError(f"unknown cover keys: {sorted(unknown)}")
    tables = {
        "context": context,
        "schemes": schemes,
        "contributors": contributors,
        "beneficiaries": beneficiaries,
        "expenditure": expenditure,
    }
    extra_columns = extra_columns or {}
    column_order = column_order or {}
    for sheet in set(extra_columns) | set(column_order):
        if sheet not in TABLE_SHEETS:
            raise ValueError(f"unknown table sheet {sheet!r}")

    wb = Workbook()
    wb.remove(wb.active)
    first = list(sheet_order or ())
    if "instructions" not in first:  # the instructions stay in front unless placed
        first.insert(0, "instructions")
    for code in _ordered(DEFAULT_SHEET_ORDER, first):
        if code == "instructions":
            if instructions:
                _write_instructions(wb, language)
        elif code == "cover":
            _write_cover(wb, cover, language)
        elif tables[code] is not None:
            sheet_notes = notes.get(code, ()) if isinstance(notes, Mapping) else notes
            _write_table(
                wb, code, tables[code], language=language, title=title, notes=sheet_notes,
                extra=extra_columns.get(code, {}), order=column_order.get(code, ()),
            )
    return _save_deterministic(wb, Path(path))


def _ordered(default: Sequence[str], first: Sequence[str]) -> list[str]:
    """`first` (each must be in `default`), then the rest of `default` in order."""
    for item in first:
        if item not in default:
            raise ValueError(f"unknown entry {item!r} in order; expected one of {list(default)}")
    return list(dict.fromkeys(first)) + [item for item in default if item not in first]


def _put(ws, row: int, column: int, value: object) -> None:
    """Write one cell verbatim; text starting with '=' stays text, never a formula."""
    if value is None:
        return
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _write_instructions(wb: Workbook, language: str) -> None:
    """A leading free-text sheet, as real templates have; parsers must ignore it."""
    ws = wb.create_sheet(INSTRUCTIONS_SHEET[language])
    for row, line in enumerate(INSTRUCTIONS_TEXT[language], start=1):
        _put(ws, row, 1, line)
    ws.column_dimensions["A"].width = 80


def _write_cover(wb: Workbook, cover: dict, language: str) -> None:
    """Key label in column A, value in column B, in the order of COVER_KEYS."""
    ws = wb.create_sheet(label(SHEETS, "cover", language))
    row = 0
    for key in COVER_KEYS:
        if key not in cover:
            continue
        row += 1
        _put(ws, row, 1, label(COVER_KEYS, key, language))
        value = cover[key]
        _put(ws, row, 2, value)
        if isinstance(value, dt.date):
            ws.cell(row=row, column=2).number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 44


def _write_table(
    wb: Workbook,
    sheet: str,
    rows: list[dict],
    *,
    language: str,
    title: bool,
    notes: Sequence[str],
    extra: dict[str, list],
    order: Sequence[str],
) -> None:
    """Optional title and blank row, header row, data rows, then notes right below."""
    codes = COLUMNS[sheet]
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(codes)
        if unknown:
            raise ValueError(f"{sheet} row {number}: unknown columns {sorted(unknown)}")
    for header, values in extra.items():
        if len(values) != len(rows):
            raise ValueError(f"{sheet}: extra column {header!r} has {len(values)} values "
                             f"for {len(rows)} rows")
    columns = _ordered([*codes, *extra], order)

    ws = wb.create_sheet(label(SHEETS, sheet, language))
    header_row = 1
    if title:
        section = f"{SECTION_WORD[language]} {SECTION_NUMBERS[sheet]}"
        _put(ws, 1, 1, f"{section} - {label(SHEETS, sheet, language)}")
        header_row = 3
    for col, column in enumerate(columns, start=1):
        _put(ws, header_row, col, label(COLUMNS[sheet], column, language)
             if column in codes else column)
        ws.column_dimensions[get_column_letter(col)].width = 18 if column in codes else 24
    for index, row in enumerate(rows):
        for col, column in enumerate(columns, start=1):
            value = row.get(column) if column in codes else extra[column][index]
            _put(ws, header_row + 1 + index, col, value)
    for offset, line in enumerate(notes):
        _put(ws, header_row + 1 + len(rows) + offset, 1, line)


def _save_deterministic(wb: Workbook, path: Path) -> Path:
    """Save with fixed timestamps and entry order, so equal input gives equal bytes."""
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR
    wb.properties.created = FIXED_PROPERTIES_TIME
    wb.properties.modified = FIXED_PROPERTIES_TIME
    raw = io.BytesIO()
    # Workbook.save() would stamp `modified` with the current time; the writer does not.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()

    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o600 << 16
            dest.writestr(fixed, source.read(info.filename))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path
