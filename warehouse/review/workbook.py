"""The feedback workbook: the archived workbook a country sent, read again (its sheets, its
language, where each figure is), and written back with the problems and warnings first,
each cell concerned highlighted and commented, in the submission's language (texts from
`messages.yml`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from ingest import codes
from ingest.ssi_labels import COLUMNS, END_OF_TABLE, LANGUAGES, normalise_label
from ingest.ssi_workbook import (
    COLUMN_LOOKUPS,
    COVER_LOOKUP,
    SHEET_LOOKUP,
    size_problem,
)
from warehouse.review.messages import MESSAGES

ERROR, WARNING, FLAGGED = "error", "warning", "flagged"


# What is copied of a workbook, at most: the parser refuses bigger ones (too_large,
# too_many_rows), and their feedback then lists the problems without the whole copy.
MAX_FILE_BYTES = 50 * 2**20


MAX_ROWS = 100_000


FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"),
         WARNING: PatternFill("solid", fgColor="FFEB9C"),
         FLAGGED: PatternFill("solid", fgColor="FFEB9C")}


TABS = {ERROR: "C00000", WARNING: "FFC000"}


SEX_COLUMNS = {"SEX_T": "total", "SEX_F": "women", "SEX_M": "men"}


# The order checks are listed in (as the seed plausibility_thresholds has them).
CHECKS = codes.seed_column("plausibility_thresholds", "check_name")




# A gate problem's message: "rows 4, 7: ssi__context: expect_...(total) failed on ..."
GATE_ROWS = re.compile(r"^rows ([\d, ]+?)(?: \.\.\.)?: ")


GATE_COLUMN = re.compile(r"\((\w+)\) failed")


INVALID_TITLE = re.compile(r"[\[\]:*?/\\]")


COLUMN_WIDTHS = (12, 15, 18, 14, 20, 55, 60, 60)  # the problems table, column A to H


@dataclass
class Item:
    """One problem or warning, as the focal point reads it."""

    kind: str  # error | warning | flagged (the words of ops.submission_checks.kind)
    code: str
    rule: str
    todo: str
    detail: str  # the check's own message (English)
    value: object = None
    # (sheet as the workbook names it, cell or None): the first one is where it is listed.
    locations: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Sheet:
    name: str
    rows: list[list]
    hidden: bool


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


def read_sheets(path: Path | str | None) -> list[Sheet] | None:
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
            sheets.append(Sheet(name, rows[:MAX_ROWS], name in hidden))
        return sheets
    finally:
        book.close()


def _by_code(sheets: list[Sheet]) -> dict[str, Sheet]:
    """Sheet code (cover, context...) -> the first sheet named for it, as the parser finds
    them (any of the four languages, case and accents aside)."""
    found: dict[str, Sheet] = {}
    for sheet in sheets:
        match = SHEET_LOOKUP.get(normalise_label(sheet.name))
        if match and match[0] not in found:
            found[match[0]] = sheet
    return found


def _header(sheet: Sheet, code: str) -> tuple[int, dict[str, int]] | None:
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


def detect_language(sheets: list[Sheet]) -> str:
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


class Locator:
    """Where a table's figures are in the workbook, found as the parser finds them."""

    def __init__(self, sheets: list[Sheet]):
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


def problem_item(problem: dict, language: str, where: Locator) -> Item:
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


def _series_cells(where: Locator, series: str, sex: str) -> list[tuple[str, str | None]]:
    """Where a coverage figure comes from: the cells of every row feeding its terms, in the
    order of the seed sdg131_terms (numerator first), the rule int_ssi__series_terms
    computes the figure by."""
    def code(sheet: str, r: int, column: str) -> str | None:
        value = where.value(sheet, r, column)
        return normalise_label(value).upper() if isinstance(value, str) and value.strip() \
            else None

    scheme_types = {code("schemes", r, "scheme_id"): code("schemes", r, "scheme_type")
                    for r, _ in where.rows("schemes")}
    found: list[tuple[str, str | None]] = []
    for term in codes.series_terms(series):
        rows = [r for r, _ in where.rows(term.sheet) if term.feeds(
            term.sheet, function=code(term.sheet, r, "function"),
            benefit_form=code(term.sheet, r, "benefit_form"),
            scheme_type=scheme_types.get(code(term.sheet, r, "scheme_id")),
            item=code(term.sheet, r, "item"))]
        found += [(where.name(term.sheet), c) for c in where.sex_cells(term.sheet, rows, sex)
                  if (where.name(term.sheet), c) not in found]
    return found or ([(where.name("beneficiaries"), None)] if where.name("beneficiaries")
                     else [])


def flagged_item(check: dict, language: str, where: Locator) -> Item:
    """A flagged figure of ops.submission_checks (e.g. above 100 %), at the cells it is
    computed from."""
    name, series, sex = check["check_name"], check["item"], check["sex"] or "SEX_T"
    value = "" if check["new_value"] is None else f"{number(check['new_value'], language, 1)} %"
    fields = {"code": series, "sex": text(f"sex_{sex}", language), "year": check["year"],
              "series": text(f"series_{series}", language) if f"series_{series}" in MESSAGES
              else series, "new": value}
    known = f"rule_{name}" in MESSAGES
    return Item(FLAGGED, name, text(f"rule_{name}", language, **fields) if known
                else text("rule_other", language),
                text(f"do_{name}" if known else "do_other", language),
                check["what_was_found"], value or "—",
                [loc for loc in _series_cells(where, series, sex) if loc[0]])


def warning_item(check: dict, language: str, where: Locator) -> Item:
    if check.get("kind") == FLAGGED:
        return flagged_item(check, language, where)
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


def write_workbook(out: Path, record: dict, status: str, language: str, items: list[Item],
           sheets: list[Sheet] | None, today: dt.date) -> None:
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
