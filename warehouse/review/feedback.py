"""What to send back to a country's focal point: a feedback workbook, in their language.

`write_feedback` writes a new workbook (.xlsx) for one rejected, quarantined or warned SSI
submission. Its first sheet lists every problem (the parser's, the load step's, the quality
gate's, as the state records them in `raw.ssi_files.problems`) and every year-on-year
plausibility warning (`ops.submission_checks` of the published warehouse), each with its
sheet, cell, the value found, the rule and what to do. Then come the sheets of the workbook
the country sent, copied from the archived original (values read with python-calamine,
whatever its format; the original is only ever read), each cell concerned highlighted and
commented.

Texts come from one catalogue, `warehouse/messages.py`, in the submission's
language: the one the parser found for a loaded submission (`raw.ssi_submissions.language`),
else found again from the workbook's sheet names, cover labels and column headers as the
parser does, English when nothing tells. Each problem also keeps the check's own message, in
English, for the ILO's statisticians.

Warnings are read from the published warehouse rather than computed again from the state:
`ops.submission_checks` is what analysts see, and its thresholds live in one dbt seed. They
exist only for current submissions: a superseded revision has none.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from ingest import codes
from ingest.archive import ArchiveDamaged, verified
from ingest.paths import Paths
from ingest.ssi_labels import COLUMNS, END_OF_TABLE, LANGUAGES, normalise_label
from ingest.ssi_workbook import (
    COLUMN_LOOKUPS,
    COVER_LOOKUP,
    SHEET_LOOKUP,
    size_problem,
    submission_id,
)
from warehouse.review.messages import MESSAGES
from warehouse.shared.errors import RunFailed

ERROR, WARNING = "error", "warning"
# What is copied of a workbook, at most: the parser refuses bigger ones (too_large,
# too_many_rows), and their feedback then lists the problems without the whole copy.
MAX_FILE_BYTES = 50 * 2**20
MAX_ROWS = 100_000
FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"), WARNING: PatternFill("solid",
                                                                              fgColor="FFEB9C")}
TABS = {ERROR: "C00000", WARNING: "FFC000"}
SEX_COLUMNS = {"SEX_T": "total", "SEX_F": "women", "SEX_M": "men"}
# The order checks are listed in (as the seed plausibility_thresholds has them).
CHECKS = codes.seed_column("plausibility_thresholds", "check_name")
# Series computed by their own rules: where their denominator is (the method's table).
OWN_DENOMINATORS = {"SOC_CONTIG_TOTAL": "POP_TOTAL", "SOC_CONTIG_VULN": "POP_TOTAL",
                    "SOC_CONTIG_INJ": "EMPLOYED"}
# A gate problem's message: "rows 4, 7: ssi__context: expect_...(total) failed on ..."
GATE_ROWS = re.compile(r"^rows ([\d, ]+?)(?: \.\.\.)?: ")
GATE_COLUMN = re.compile(r"\((\w+)\) failed")
INVALID_TITLE = re.compile(r"[\[\]:*?/\\]")
COLUMN_WIDTHS = (12, 15, 18, 14, 20, 55, 60, 60)  # the problems table, column A to H


class FeedbackError(RunFailed):
    """No feedback can be written for this key; the message says why, in one line."""


@dataclass
class Item:
    """One problem or warning, as the focal point reads it."""

    kind: str  # error | warning
    code: str
    rule: str
    todo: str
    detail: str  # the check's own message (English)
    value: object = None
    # (sheet as the workbook names it, cell or None): the first one is where it is listed.
    locations: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Feedback:
    """The workbook written, and what it says."""

    path: Path
    file: str
    submission_id: str | None
    status: str  # rejected | quarantined | loaded
    language: str
    items: list[Item]


@dataclass
class _Sheet:
    name: str
    rows: list[list]
    hidden: bool


# ---------------------------------------------------------------------------------------
# The catalogue and local number formats.


def text(key: str, language: str, **fields: object) -> str:
    """A catalogue text in `language`, its `{fields}` filled in."""
    template = MESSAGES[key][language]
    return template.format(**fields) if fields else template


def number(value: float, language: str, decimals: int = 0, sign: bool = False) -> str:
    """A number as the workbook's language writes it: 1,234.5 (en), 1 234,5 (fr, pt),
    1.234,5 (es), as in the SSI contract."""
    shown = f"{value:{'+' if sign else ''},.{decimals}f}"
    if language == "en":
        return shown
    group = "." if language == "es" else "\u00a0"
    return shown.replace(",", "\0").replace(".", ",").replace("\0", group)


def _plain(value: object) -> str:
    """A cell value as the problems sheet shows it."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------
# The submission: which file, what became of it, its problems and warnings.


def _connect(source: Path | str | duckdb.DuckDBPyConnection):
    if isinstance(source, duckdb.DuckDBPyConnection):
        return source, False
    path = Path(source)
    if not path.exists():
        raise FeedbackError(f"no state at {path}: nothing has been landed there yet")
    return duckdb.connect(str(path), read_only=True), True


FILE_COLUMNS = ("sha256", "original_name", "archive_path", "status", "problems",
                "submission_id", "country_iso3", "reference_year", "revision", "size_bytes")


def find_file(con: duckdb.DuckDBPyConnection, key: str) -> dict:
    """The recorded SSI file `key` names: a file name, a sha256 prefix, or a submission id
    (e.g. TGO-2022-r2), as `spf status` and `ops.submissions` show them. A duplicate stands
    for the first file with its bytes."""
    key = key.strip()
    if not key:
        raise FeedbackError("give a file name, a sha256 prefix or a submission id")
    matches = con.execute("""
        select distinct sha256, original_name, status from raw.ssi_files
        where original_name = $key or starts_with(sha256, lower($key))
           or upper(coalesce(submission_id,
                             country_iso3 || '-' || reference_year || '-r' || revision))
              = upper($key)
        order by all""", {"key": key}).fetchall()
    shas = sorted({sha for sha, _, _ in matches})
    if not shas:
        raise FeedbackError(f"no SSI file matches {key!r}; see `spf status` or "
                            "`spf query \"select original_name, submission_id, status from "
                            "ops.submissions\"`")
    if len(shas) > 1:
        listed = "; ".join(f"{name} ({status}, {sha[:12]})" for sha, name, status in matches)
        raise FeedbackError(f"{key!r} matches several files: {listed}; give the file name "
                            "or more of the sha256")
    present = {c for (c,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'raw' "
        "and table_name = 'ssi_files' and database_name = current_database()").fetchall()}
    # The published raw layer, read while a run holds the state, has no archive paths.
    columns = ", ".join(c if c in present else f"null as {c}" for c in FILE_COLUMNS)
    cursor = con.execute(f"""
        select {columns} from raw.ssi_files where sha256 = ?
        order by status = 'duplicate', processed_at, original_name""", [shas[0]])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _problems(record: dict) -> list[dict]:
    problems = record["problems"]
    if isinstance(problems, str):
        problems = json.loads(problems)
    return list(problems or [])


def _warnings(warehouse: Path | duckdb.DuckDBPyConnection | None, sid: str | None
              ) -> list[dict]:
    """The rows of ops.submission_checks of the published warehouse (its file, or an open
    connection) for this submission."""
    if not sid or warehouse is None or (
            not isinstance(warehouse, duckdb.DuckDBPyConnection) and not Path(warehouse).exists()):
        return []
    con, owned = _connect(warehouse)
    try:
        if not con.execute("select count(*) from duckdb_tables() where schema_name = 'ops' "
                           "and table_name = 'submission_checks'").fetchone()[0]:
            return []
        cursor = con.execute("select * from ops.submission_checks where submission_id = ? "
                             "order by item, sex", [sid])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        if owned:
            con.close()
    order = {check: i for i, check in enumerate(CHECKS)}
    return sorted(rows, key=lambda r: order.get(r["check_name"], len(order)))


def _loaded_language(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    row = con.execute("select language from raw.ssi_submissions where sha256 = ?",
                      [sha256]).fetchone()
    return row[0] if row and row[0] in LANGUAGES else None


# ---------------------------------------------------------------------------------------
# The archived workbook: its sheets, its language, where each figure is.


def read_sheets(path: Path | str | None) -> list[_Sheet] | None:
    """Every sheet of an archived workbook, values only, in its order; None when it cannot
    be read as a workbook (encrypted, damaged, too large, no file). Only reads the file."""
    if not path or not Path(path).is_file() or Path(path).stat().st_size > MAX_FILE_BYTES:
        return None
    if size_problem(path) is not None:  # a sheet calamine would size beyond any workbook
        return None
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # encrypted, damaged, not a workbook: its problems say so
        return None
    try:
        hidden = {m.name for m in book.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
        sheets = []
        for name in book.sheet_names:
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception:  # a damaged sheet: copied empty
                rows = []
            sheets.append(_Sheet(name, rows[:MAX_ROWS], name in hidden))
        return sheets
    finally:
        book.close()


def _by_code(sheets: list[_Sheet]) -> dict[str, _Sheet]:
    """Sheet code (cover, context...) -> the first sheet named for it, as the parser finds
    them (any of the four languages, case and accents aside)."""
    found: dict[str, _Sheet] = {}
    for sheet in sheets:
        match = SHEET_LOOKUP.get(normalise_label(sheet.name))
        if match and match[0] not in found:
            found[match[0]] = sheet
    return found


def _header(sheet: _Sheet, code: str) -> tuple[int, dict[str, int]] | None:
    """(row index, column code -> column index) of a table's header row: the first row whose
    cells match two or more of the table's column labels, as the parser finds it."""
    labels = COLUMN_LOOKUPS[code]
    for r, row in enumerate(sheet.rows):
        matched = {c: labels[normalise_label(v)][0] for c, v in enumerate(row)
                   if isinstance(v, str) and normalise_label(v) in labels}
        if len(set(matched.values())) >= 2:
            columns: dict[str, int] = {}
            for c, column in matched.items():
                columns.setdefault(column, c)
            return r, columns
    return None


def detect_language(sheets: list[_Sheet]) -> str:
    """The workbook's language from its sheet names, cover labels and column headers, voted
    as the parser votes (ties go to the first of en, fr, es, pt); English when none tells."""
    votes: Counter[str] = Counter()
    found = {}
    for sheet in sheets:
        match = SHEET_LOOKUP.get(normalise_label(sheet.name))
        if match and match[0] not in found:
            found[match[0]] = sheet
            votes.update(match[1])
    if "cover" in found:
        keys = set()
        for row in found["cover"].rows:
            match = COVER_LOOKUP.get(normalise_label(row[0])) if row and row[0] else None
            if match and match[0] not in keys:
                keys.add(match[0])
                votes.update(match[1])
    for code in COLUMNS:
        header = _header(found[code], code) if code in found else None
        if header:
            labels = COLUMN_LOOKUPS[code]
            seen = set()
            for value in found[code].rows[header[0]]:
                match = labels.get(normalise_label(value)) if isinstance(value, str) else None
                if match and match[0] not in seen:
                    seen.add(match[0])
                    votes.update(match[1])
    best = [lang for lang in LANGUAGES if votes[lang] == max(votes.values(), default=0)]
    return best[0] if best and votes[best[0]] else "en"


class _Locator:
    """Where a table's figures are in the workbook, found as the parser finds them."""

    def __init__(self, sheets: list[_Sheet]):
        self.by_name = {sheet.name: sheet for sheet in sheets}
        self.sheets = _by_code(sheets)
        self.headers = {code: _header(sheet, code) for code, sheet in self.sheets.items()
                        if code in COLUMNS}

    def at(self, sheet: str, cell: str | None) -> object:
        """The value of a cell given by its sheet's name and its address (D6)."""
        if sheet not in self.by_name or not cell:
            return None
        column, row = coordinate_from_string(cell)
        rows = self.by_name[sheet].rows
        c = column_index_from_string(column) - 1
        return rows[row - 1][c] if row <= len(rows) and c < len(rows[row - 1]) else None

    def name(self, code: str) -> str | None:
        return self.sheets[code].name if code in self.sheets else None

    def rows(self, code: str):
        """(row index, row) of a table's data rows: from its header to the first empty row
        or note."""
        header = self.headers.get(code)
        if not header:
            return
        for r in range(header[0] + 1, len(self.sheets[code].rows)):
            row = self.sheets[code].rows[r]
            filled = [v for v in row if not (v is None or (isinstance(v, str) and not v.strip()))]
            if not filled or (isinstance(filled[0], str) and END_OF_TABLE.match(
                    normalise_label(filled[0]))):
                return
            yield r, row

    def value(self, code: str, r: int, column: str):
        c = self.headers[code][1].get(column) if self.headers.get(code) else None
        row = self.sheets[code].rows[r]
        return row[c] if c is not None and c < len(row) else None

    def cell(self, code: str, r: int, column: str) -> str | None:
        header = self.headers.get(code)
        c = header[1].get(column) if header else None
        return f"{get_column_letter(c + 1)}{r + 1}" if c is not None else None

    def matching(self, code: str, column: str, wanted: set[str]) -> list[int]:
        return [r for r, _ in self.rows(code)
                if normalise_label(self.value(code, r, column) or "").upper() in wanted]

    def sex_cells(self, code: str, rows: list[int], sex: str) -> list[str]:
        """The cells of `rows` holding the figure of `sex` (the total when that one is
        blank, as for births without a split)."""
        cells = []
        for r in rows:
            column = SEX_COLUMNS.get(sex, "total")
            if self.value(code, r, column) in (None, "") and column != "total":
                column = "total"
            if cell := self.cell(code, r, column):
                cells.append(cell)
        return cells


# ---------------------------------------------------------------------------------------
# Problems and warnings as the focal point reads them.


def _problem_item(problem: dict, language: str, where: _Locator) -> Item:
    code = problem.get("code") or "other"
    known = f"rule_{code}" in MESSAGES
    item = Item(ERROR, code, text(f"rule_{code}" if known else "rule_other", language),
                text(f"do_{code}" if known else "do_other", language),
                problem.get("message") or "", problem.get("value"))
    if problem.get("sheet"):
        item.locations.append((problem["sheet"], problem.get("cell")))
    elif problem.get("table") in COLUMNS and where.name(problem["table"]):
        # A quality gate's problem names its table; its message, the rows and the column.
        table = problem["table"]
        rows = GATE_ROWS.match(item.detail)
        named = GATE_COLUMN.search(item.detail)
        columns = where.headers[table][1] if where.headers.get(table) else {}
        column = named.group(1) if named and named.group(1) in columns else next(
            iter(columns), None)  # a check of whole rows: their first column
        cells = [where.cell(table, int(r) - 1, column) for r in rows.group(1).split(",")
                 if r.strip()] if rows and column else []
        item.locations += [(where.name(table), c) for c in cells if c] or [
            (where.name(table), None)]
    if item.value is None and item.locations:  # a gate names rows, not values
        item.value = where.at(*item.locations[0])
    return item


def _series_cells(where: _Locator, series: str, sex: str) -> list[tuple[str, str | None]]:
    """Where a coverage figure comes from: its numerator rows, then its denominator."""
    functions = dict(zip(codes.SERIES, codes.seed_column("sdg131_series", "numerator_function"),
                         strict=True))
    items = dict(zip(codes.SERIES, codes.seed_column("sdg131_series", "denominator_item"),
                     strict=True))
    found: list[tuple[str, str | None]] = []
    if functions.get(series):
        rows = [r for r in where.matching("beneficiaries", "function", {functions[series]})
                if normalise_label(where.value("beneficiaries", r, "benefit_form") or "").upper()
                in ({"CASH_PERIODIC", "CASH_LUMP"} if series == "SOC_CONTIG_MAT"
                    else {"CASH_PERIODIC"})]
        found += [(where.name("beneficiaries"), c)
                  for c in where.sex_cells("beneficiaries", rows, sex)]
    elif series == "SOC_CONTIG_INJ":
        rows = where.matching("contributors", "function", {"INJ"})
        found += [(where.name("contributors"), c)
                  for c in where.sex_cells("contributors", rows, sex)]
    denominator = items.get(series) or OWN_DENOMINATORS.get(series)
    if denominator:
        rows = where.matching("context", "item", {denominator})
        found += [(where.name("context"), c) for c in where.sex_cells("context", rows, sex)]
    return found or ([(where.name("beneficiaries"), None)] if where.name("beneficiaries")
                     else [])


def _warning_item(check: dict, language: str, where: _Locator) -> Item:
    name, item, sex = check["check_name"], check["item"], check["sex"] or "SEX_T"
    years = text("years_one", language) if check["years_elapsed"] == 1 else text(
        "years_many", language, n=check["years_elapsed"])
    threshold = check["threshold"]
    fields = {
        "item": item, "code": item, "sex": text(f"sex_{sex}", language),
        "series": text(f"series_{item}", language) if f"series_{item}" in MESSAGES else item,
        "year": check["year"], "earlier_year": check["earlier_year"], "years": years,
        "threshold": "" if threshold is None else number(
            threshold, language, 0 if float(threshold).is_integer() else 1),
    }
    earlier, new, moved = check["earlier_value"], check["new_value"], check["moved_by"]
    if name == "context_change":
        fields |= {"earlier": number(earlier, language), "new": number(new, language),
                   "moved": number(moved, language, 1, sign=True)}
        value = number(new, language)
        rows = where.matching("context", "item", {item})
        locations = [(where.name("context"), c) for c in where.sex_cells("context", rows, sex)]
    elif name == "expenditure_change":
        fields |= {"earlier": f"{number(earlier, language, 1)} %",
                   "new": f"{number(new, language, 1)} %",
                   "moved": number(moved, language, 1, sign=True)}
        value = fields["new"]
        rows = where.matching("context", "item", {"GDP"})
        locations = [(where.name("context"), c) for c in where.sex_cells("context", rows,
                                                                         "SEX_T")]
        locations += [(where.name("expenditure"), None)] if where.name("expenditure") else []
    else:  # coverage_change, series_missing
        fields |= {"earlier": f"{number(earlier, language, 1)} %",
                   "new": "" if new is None else f"{number(new, language, 1)} %",
                   "moved": "" if moved is None else number(moved, language, 1, sign=True)}
        value = fields["new"] or "—"
        locations = _series_cells(where, item, sex)
    known = f"rule_{name}" in MESSAGES  # a check newer than the catalogue: its English text
    return Item(WARNING, name, text(f"rule_{name}", language, **fields) if known
                else text("rule_other", language),
                text(f"do_{name}" if known else "do_other", language),
                check["what_was_found"], value, [loc for loc in locations if loc[0]])


# ---------------------------------------------------------------------------------------
# Writing the workbook.


def _title(name: str, taken: set[str]) -> str:
    """A sheet name xlsx accepts (31 characters, none of []:*?/\\), unique in the book."""
    title = INVALID_TITLE.sub("_", name)[:31] or "Sheet"
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _put(ws, row: int, column: int, value: object) -> None:
    """A value copied as a value: text starting with '=' stays text, not a formula."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


def _where_text(locations: list[tuple[str, str | None]]) -> tuple[str, str]:
    """The Sheet and Cell columns of an item: its first sheet, and its cells there (with
    the cells of other sheets as Sheet!Cell)."""
    if not locations:
        return "", ""
    first = locations[0][0]
    here = [c for s, c in locations if s == first and c]
    there = [f"{s}!{c}" for s, c in locations if s != first and c]
    return first, ", ".join(dict.fromkeys(here + there))


def _write(out: Path, record: dict, status: str, language: str, items: list[Item],
           sheets: list[_Sheet] | None, today: dt.date) -> None:
    wb = Workbook()
    ws = wb.active
    # The problems sheet takes a name none of the copied sheets has; they keep theirs.
    ws.title = _title(text("sheet_title", language),
                      {INVALID_TITLE.sub("_", s.name)[:31].lower() for s in sheets or []})
    taken = {ws.title.lower()}
    titles = {s.name: _title(s.name, taken) for s in sheets or []}
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    ws["A1"] = text("title", language)
    ws["A1"].font = Font(bold=True, size=14)
    header = [("label_file", record["original_name"])]
    if record.get("country_iso3") and record.get("reference_year"):
        header.append(("label_submission", text(
            "submission_value", language, country=record["country_iso3"],
            year=record["reference_year"], revision=record.get("revision") or 1)))
    header += [("label_status", text(f"status_{status}", language)),
               ("label_date", today.isoformat())]
    for r, (label, value) in enumerate(header, start=2):
        ws.cell(row=r, column=1, value=text(label, language)).font = bold
        _put(ws, r, 2, value)
    r = len(header) + 2
    ws.cell(row=r, column=1, value=text(f"intro_{status}", language)).alignment = wrap
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(COLUMN_WIDTHS))
    ws.row_dimensions[r].height = 48
    if sheets is None:
        r += 1
        ws.cell(row=r, column=1, value=text("note_no_copy", language)).font = Font(italic=True)
    top = r + 2
    labels = ("col_number", "col_kind", "col_sheet", "col_cell", "col_value", "col_rule",
              "col_todo", "col_detail")
    for c, label in enumerate(labels, start=1):
        ws.cell(row=top, column=c, value=text(label, language)).font = bold
        ws.column_dimensions[get_column_letter(c)].width = COLUMN_WIDTHS[c - 1]
    for n, item in enumerate(items, start=1):
        sheet, cells = _where_text(item.locations)
        row = top + n
        values = (n, text(f"kind_{item.kind}", language), sheet, cells, _plain(item.value),
                  item.rule, item.todo, item.detail)
        for c, value in enumerate(values, start=1):
            _put(ws, row, c, value)
            ws.cell(row=row, column=c).alignment = wrap
        ws.cell(row=row, column=2).fill = FILLS[item.kind]
        if sheet in titles:
            target = next((c for s, c in item.locations if s == sheet and c), "A1")
            link = ws.cell(row=row, column=4 if cells else 3)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{titles[sheet]}'!{target}")
            link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(labels))}{top + max(len(items), 1)}"

    notes: dict[tuple[str, str], list[Item]] = defaultdict(list)
    flagged: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for sheet, cell in item.locations:
            flagged[sheet].add(item.kind)
            if cell:
                notes[(sheet, cell)].append(item)
    author = text("comment_author", language)
    for source in sheets or []:
        copy = wb.create_sheet(titles[source.name])
        widths: dict[int, int] = {}
        for r, values in enumerate(source.rows, start=1):
            for c, value in enumerate(values, start=1):
                _put(copy, r, c, value)
                if value not in (None, ""):
                    widths[c] = max(widths.get(c, 8), min(len(_plain(value)) + 2, 50))
        for c, width in widths.items():
            copy.column_dimensions[get_column_letter(c)].width = width
        for (sheet, cell), found in notes.items():
            if sheet != source.name:
                continue
            target = copy[cell]
            kind = ERROR if any(i.kind == ERROR for i in found) else WARNING
            target.fill = FILLS[kind]
            if target.value is None and found[0].value not in (None, ""):
                _put(copy, target.row, target.column, found[0].value)
            body = "\n\n".join(text("comment", language, kind=text(f"kind_{i.kind}", language),
                                    rule=i.rule, todo=i.todo) for i in found)
            target.comment = Comment(body, author, width=360, height=180)
        if source.name in flagged:
            copy.sheet_properties.tabColor = TABS[ERROR if ERROR in flagged[source.name]
                                                  else WARNING]
        if source.hidden and source.name not in flagged:
            copy.sheet_state = "hidden"
    wb.active = 0
    wb.properties.creator = "SPF Warehouse"
    wb.properties.title = text("title", language)
    out.parent.mkdir(parents=True, exist_ok=True)
    # A short temporary name: the final one may already take the 255 bytes a name may have.
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".feedback-", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------
# The entry points.


def write_feedback(state: Path | str | duckdb.DuckDBPyConnection, key: str, out: Path | str,
                   warehouse: Path | str | duckdb.DuckDBPyConnection | None = None,
                   language: str | None = None, today: dt.date | None = None,
                   archive: Path | None = None) -> Feedback:
    """Write the feedback workbook of the SSI file `key` (a file name, sha256 prefix or
    submission id, as `spf status` shows them) to `out`, a new .xlsx.

    `state` is the pipeline's state (its file, or an open connection), or a published
    warehouse (its raw layer has the same tables); `warehouse` is the published warehouse
    (its file, or an open connection) whose `ops.submission_checks` gives the warnings of
    a loaded submission. `language` (en, fr, es, pt) overrides the submission's. `archive`
    is the home's archive, where the workbook is copied from once its bytes are checked
    (None: the feedback lists the problems without a copy of the workbook). Raises
    FeedbackError when the key names no file, several, or one with nothing to send back,
    or when its archived bytes are not those it was landed with.
    """
    if language is not None and language not in LANGUAGES:
        raise FeedbackError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")
    con, owned = _connect(state)
    try:
        record = find_file(con, key)
        loaded_language = _loaded_language(con, record["sha256"]) \
            if record["status"] == "loaded" else None
    finally:
        if owned:
            con.close()
    status = record["status"]
    out = Path(out).expanduser().resolve()
    if archive is not None and out.is_relative_to(archive.resolve()):
        raise FeedbackError(f"{out} is inside the archive, which is never written to")
    archived = None
    if archive is not None and record["archive_path"]:
        try:
            archived = verified(archive, record["archive_path"], record["sha256"],
                                record["original_name"])
        except ArchiveDamaged as damaged:
            raise FeedbackError(str(damaged)) from None
    problems = _problems(record) if status in ("rejected", "quarantined") else []
    checks = _warnings(warehouse, record["submission_id"]) if status == "loaded" else []
    if not problems and not checks:
        why = ("no warning in the published warehouse's ops.submission_checks (a superseded "
               "revision has none)" if status == "loaded" else f"it is {status}")
        raise FeedbackError(f"{record['original_name']}: nothing to send back: {why}")
    sheets = read_sheets(archived)
    language = language or loaded_language or (detect_language(sheets) if sheets else "en")
    where = _Locator(sheets or [])
    items = [_problem_item(p, language, where) for p in problems] + [
        _warning_item(c, language, where) for c in checks]
    _write(out, record, status, language, items, sheets, today or dt.date.today())
    return Feedback(out, record["original_name"], record["submission_id"] or _identity(record),
                    status, language, items)


def _identity(record: dict) -> str | None:
    """The submission id a file would have had, from the identity its cover gave."""
    if record.get("country_iso3") and record.get("reference_year") and record.get("revision"):
        return submission_id(record["country_iso3"], record["reference_year"],
                             record["revision"])
    return None


def _records(paths: Paths) -> duckdb.DuckDBPyConnection:
    """The installation's state, or while a run holds it, the published warehouse's raw
    layer, read-only."""
    if not paths.state_db.exists():
        raise FeedbackError(f"nothing has been landed in {paths.home} yet")
    try:
        return duckdb.connect(str(paths.state_db), read_only=True)
    except duckdb.IOException:
        if not paths.warehouse.exists():
            raise FeedbackError("a run is writing and nothing is published yet; try again "
                                "later") from None
        return duckdb.connect(str(paths.warehouse), read_only=True)


def feedback_for(paths: Paths, key: str, out: Path | str, language: str | None = None
                 ) -> Feedback:
    """`write_feedback` for an installation: its state, or while a run holds the state, the
    raw layer of the published warehouse; warnings from the published warehouse."""
    con = _records(paths)
    try:
        return write_feedback(con, key, out, warehouse=paths.warehouse, language=language,
                              archive=paths.archive)
    finally:
        con.close()


PARALLEL_FROM = 64  # below this many workbooks, starting worker processes costs more


def _write_batch(paths: Paths, jobs: list[tuple[str, str]]) -> list[str | None]:
    """`feedback_for` of each (key, out) on one connection to the records and one to the
    published warehouse (opening them took half of each workbook's time); per job, None
    when written, else why there was nothing to send back."""
    con = _records(paths)
    published = duckdb.connect(str(paths.warehouse), read_only=True) \
        if paths.warehouse.exists() else None
    done: list[str | None] = []
    try:
        for key, out in jobs:
            try:
                write_feedback(con, key, out, warehouse=published, archive=paths.archive)
                done.append(None)
            except FeedbackError as nothing:
                done.append(str(nothing))
    finally:
        con.close()
        if published is not None:
            published.close()
    return done


def feedback_batch(paths: Paths, jobs: list[tuple[str, Path]]) -> list[str | None]:
    """The feedback workbooks of many files at once, as (key, out): in worker processes
    when there are many (a first load of every year rejects hundreds), else here. Per job,
    None when written, else why there was nothing to send back (see `write_feedback`)."""
    plain = [(key, str(out)) for key, out in jobs]
    workers = min(os.cpu_count() or 1, 8)
    if len(plain) < PARALLEL_FROM or workers < 2:
        return _write_batch(paths, plain)
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chunks = [plain[i::workers] for i in range(workers)]
    # spawn, not fork: the run's process has DuckDB, dbt and GX loaded, with their threads.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(_write_batch, [paths] * workers, chunks))
    done: list[str | None] = [None] * len(plain)
    for i, result in enumerate(results):
        done[i::workers] = result
    return done
