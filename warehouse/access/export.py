"""`spf export`: tables of the published warehouse as files analysts open elsewhere.

Formats:

- `csv`, `parquet`: one file per table (`marts.coverage_sdg131.csv`, ...), written by
  DuckDB itself (`COPY (select ...) TO ...`), fast at any size.
- `xlsx`: one workbook, a sheet per table, streamed row by row by openpyxl's write-only
  mode (memory stays flat); a header row with a filter, columns as wide as their content,
  numbers as numbers, dates as dates; and first a sheet `about` that describes every table
  and column (from the YAML of the dbt project, as dbt docs shows it).
- `ilostat`: the country figures of `marts.coverage_sdg131` in the column layout of
  ILOSTAT's bulk download files (see `ILOSTAT_COLUMNS` and `ILOSTAT_FLAGS`), values to one
  decimal as ILOSTAT publishes them, with a dictionary of every code used and a table of
  contents (one row per country and its last update), as ILOSTAT's own bulk files have.
- `sdmx`: SDG 1.3.1 for the UN SDG Global Database (`sdg_exchange.py`).

Only the analysts' and operators' schemas (`marts`, `ops`) and the reference tables (`ref`,
the dbt seeds: code lists, regions, targets) are exported. The warehouse is
opened read-only, and every table comes from that one connection, so an export is one
consistent snapshot even while a run publishes a new file over it. Each file is written
under a temporary name beside its target and renamed when complete: a failed export
leaves no half-written file.

Text that a spreadsheet would run as a formula (OWASP, "CSV Injection": cells starting
with `=`, `+`, `-`, `@`, tab, carriage return or a null character) is prefixed with a
single quote in CSV and xlsx files. Only text is touched: a negative number stays a number.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pycountry

from ingest import codes

FORMATS = ("csv", "parquet", "xlsx", "ilostat", "sdmx")
# The formats of SDG 1.3.1 alone (marts.coverage_sdg131).
SDG_FORMATS = ("ilostat", "sdmx")
SCHEMAS = ("marts", "ops", "ref")


class ExportError(RuntimeError):
    """An export could not be made; the message is one line for the person who asked."""


# --- formula neutralisation ---------------------------------------------------------------

# OWASP's CSV Injection page lists these leading characters as the ones spreadsheets
# interpret (=, +, -, @, tab, carriage return; ASVS 5.0 requirement 1.2.10 adds the null
# character); the usual fix is a leading single quote, which makes the cell plain text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")

# DuckDB type ids (DuckDBPyType.id) written as they are: numbers, booleans and dates,
# never text a spreadsheet could run. Everything else (VARCHAR, JSON, lists, structs,
# UUID, intervals...) is text in a CSV or a sheet, and goes through the guard.
NUMERIC = {"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
           "uinteger", "ubigint", "uhugeint", "float", "double", "decimal", "bignum"}
TEMPORAL = {"date", "time", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"}
AS_IS = NUMERIC | TEMPORAL | {"boolean"}
ZONED = "timestamp with time zone"


def _guard_sql(expression: str) -> str:
    """SQL: the text of `expression`, with a quote before a leading formula character."""
    text = f"cast({expression} as varchar)"
    triggers = ", ".join(f"chr({ord(c)})" for c in FORMULA_TRIGGERS)
    return f"case when left({text}, 1) in ({triggers}) then '''' || {text} else {text} end"


def neutralise(text: str) -> str:
    """The same rule in Python, for the cells of a workbook."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# --- xlsx limits ------------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_576       # rows per sheet, the header row included
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL_CHARS = 32_767    # openpyxl would cut longer text silently; we say so in it
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
XLSX_BATCH = 10_000             # rows fetched from DuckDB at a time
ABOUT_SHEET = "about"           # no table's sheet can take it: theirs all hold a dot
WIDTH_MIN, WIDTH_MAX = 8, 60    # column widths, in characters


# --- ILOSTAT ----------------------------------------------------------------------------------

ILOSTAT_INDICATOR = "SDG_0131_SEX_SOC_RT"
ILOSTAT_FILE = f"{ILOSTAT_INDICATOR}_A.csv"   # ILOSTAT's dataset id: indicator + _A (annual)
ILOSTAT_DICTIONARY = f"{ILOSTAT_INDICATOR}_A.dictionary.csv"
ILOSTAT_TOC = "toc.csv"
# ILOSTAT's label of the indicator (its indicator dictionary).
ILOSTAT_INDICATOR_LABEL = ("SDG indicator 1.3.1 - Proportion of population covered by social "
                           "protection floors/systems (%)")
ILOSTAT_SEX_LABELS = {"SEX_T": "Total", "SEX_F": "Female", "SEX_M": "Male"}
# ILOSTAT's obs_status labels (U), and SDMX's CL_OBS_STATUS for O (see ILOSTAT_FLAGS).
ILOSTAT_STATUS_LABELS = {"U": "Unreliable", "O": "Missing value"}
# The columns of ILOSTAT's bulk download files (indicator segment, codes), in their order.
ILOSTAT_COLUMNS = ("ref_area", "source", "indicator", "sex", "classif1", "time", "obs_value",
                   "obs_status", "note_classif", "note_indicator", "note_source")
# `source`: ILOSTAT codes a source as type:id (e.g. BA:453). Ours is the SSI submission
# the figure was computed from, whose id names country, year and revision (KHM-2019-r2).
ILOSTAT_SOURCE_PREFIX = "SSI:"
# Our notes follow ILOSTAT's coding, type:id, several joined by "_" (e.g. R1:3513_T2:85),
# under a note type of our own, SPF, that cannot be mistaken for one of ILOSTAT's.
ILOSTAT_NOTE_PREFIX = "SPF:"

# marts.coverage_sdg131.quality_flag -> (obs_status, note_indicator), from the seed
# quality_flags (its ilostat_obs_status), where every flag is explained once. The status
# codes are ILOSTAT's (its obs_status dictionary: U unreliable, ...), which follow SDMX's
# CL_OBS_STATUS (O missing value, for a figure not computed: ILOSTAT publishes no empty
# observations, so its own dictionary has no such code). ILOSTAT explains a status with a
# note in note_indicator; so do we, with the flag itself. A figure without a flag has no
# status and no note.
ILOSTAT_FLAGS: dict[str | None, tuple[str | None, str | None]] = {
    None: (None, None),
    **{flag.flag: (flag.ilostat_obs_status, f"{ILOSTAT_NOTE_PREFIX}{flag.flag}")
       for flag in codes.quality_flags("coverage_sdg131").values()},
}


# --- the export -------------------------------------------------------------------------------

def export(warehouse: Path, tables: Iterable[str] | None = None, *, all_tables: bool = False,
           fmt: str = "csv", out: Path = Path("."), progress: bool = True) -> list[Path]:
    """Write tables of the published `warehouse` into the folder `out`; return the files.

    `tables` are names such as `coverage_sdg131` (a mart), `marts.coverage_sdg131`,
    `ops.submissions` or `ref.sdg131_series`; `all_tables` takes every `marts.*`, `ops.*` and
    `ref.*` table instead. With
    `fmt` `ilostat`, the only table is `marts.coverage_sdg131` (the default). A progress
    bar, one step per table, shows on standard error when it is a terminal and `progress`.
    Raises ExportError with a one-line reason.
    """
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    names = list(dict.fromkeys(t.strip() for t in tables or [] if t.strip()))
    if names and all_tables:
        raise ExportError("give table names or --all, not both")
    if not names and not all_tables and fmt not in SDG_FORMATS:
        raise ExportError("name the tables to export (e.g. coverage_sdg131), or give --all")
    con = _open(warehouse)
    try:
        # Timestamps with a time zone are written in UTC, whatever this machine's zone.
        con.execute("set TimeZone = 'UTC'")
        available = _tables(con)
        if fmt in SDG_FORMATS:
            if all_tables:
                raise ExportError(f"--format {fmt} writes marts.coverage_sdg131 only; "
                                  "drop --all")
            chosen = _resolve(names or ["coverage_sdg131"], available)
            if chosen != ["marts.coverage_sdg131"]:
                raise ExportError(f"--format {fmt} writes marts.coverage_sdg131 only, not "
                                  + ", ".join(t for t in chosen if t != "marts.coverage_sdg131"))
        else:
            chosen = available if all_tables else _resolve(names, available)
        if not chosen:
            raise ExportError(f"{warehouse} has no marts, ops or ref tables")
        if fmt == "xlsx":
            counts = _check_xlsx_limits(con, chosen)
        out = _folder(out)
        with _progress(progress, len(chosen)) as track:
            if fmt == "xlsx":
                target = out / (f"{chosen[0]}.xlsx" if len(chosen) == 1
                                else f"{Path(warehouse).stem}.xlsx")
                return [_write_xlsx(con, chosen, counts, target, track)]
            if fmt == "ilostat":
                return [path for _ in track(chosen) for path in _write_ilostat(con, out)]
            if fmt == "sdmx":
                return [path for _ in track(chosen) for path in _write_sdmx(con, out)]
            return [_write_copy(con, name, out / f"{name}.{fmt}", fmt) for name in track(chosen)]
    except duckdb.Error as error:
        raise ExportError(_first_line(error)) from None
    except OSError as error:    # a full disk, a folder it may not write into
        raise ExportError(f"cannot write into {out}: {error.strerror or error}") from None
    finally:
        con.close()


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every exportable table and view, `schema.table`, marts first."""
    schemas = ", ".join(_literal(s) for s in SCHEMAS)
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({schemas})"
    ).fetchall()
    return [f"{s}.{t}" for s, t in sorted(rows, key=lambda r: (SCHEMAS.index(r[0]), r[1]))]


def _resolve(names: list[str], available: list[str]) -> list[str]:
    """`schema.table` for each name; a bare name is a mart, else an ops, else a ref table."""
    known = {t.lower(): t for t in available}
    chosen = []
    for name in names:
        key = name.lower()
        candidates = [key] if "." in key else [f"{schema}.{key}" for schema in SCHEMAS]
        found = next((known[c] for c in candidates if c in known), None)
        if found is None:
            raise ExportError(f"unknown table {name!r}; the warehouse has "
                              + ", ".join(available))
        chosen.append(found)
    return list(dict.fromkeys(chosen))


def _folder(out: Path) -> Path:
    out = Path(out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot write into {out}: {error.strerror or error}") from None
    return out


def _ident(name: str) -> str:
    """`schema.table` as quoted SQL identifiers."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split(".", 1))


def _column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed over it when the block succeeds."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _select(con: duckdb.DuckDBPyConnection, source: str, fmt: str) -> tuple[list[str], str]:
    """Columns and the SELECT that writes `source` (a table or a subquery) as `fmt`."""
    relation = con.sql(f"select * from {source}")
    columns, expressions = relation.columns, []
    for name, dtype in zip(relation.columns, relation.types, strict=True):
        col, kind = _column(name), dtype.id
        if fmt == "parquet":
            # Parquet has no 128-bit integer: DuckDB would write HUGEINT as DOUBLE. Sums of
            # persons fit a BIGINT; one that did not would fail the export, not lose digits.
            cast = {"hugeint": "bigint", "uhugeint": "ubigint"}.get(kind)
            expressions.append(f"cast({col} as {cast}) as {col}" if cast else col)
        elif kind in AS_IS:
            if fmt == "xlsx" and kind in ("float", "double"):
                # Excel has no NaN or infinity; such a cell is left empty.
                expressions.append(f"case when isfinite({col}) then {col} end as {col}")
            else:
                expressions.append(col)
        elif kind == ZONED:
            # CSV keeps the offset (+00); Excel has no time zones: UTC wall-clock time.
            expressions.append(col if fmt == "csv" else f"timezone('UTC', {col}) as {col}")
        elif fmt == "csv":
            expressions.append(f"{_guard_sql(col)} as {col}")
        else:
            # xlsx: text as text; the formula guard runs in Python after cleaning (see
            # `_xlsx_text`), so that no removed character can uncover a leading '='.
            expressions.append(f"cast({col} as varchar) as {col}")
    return columns, f"select {', '.join(expressions)} from {source}"


def _write_copy(con: duckdb.DuckDBPyConnection, name: str, target: Path, fmt: str) -> Path:
    _, sql = _select(con, _ident(name), fmt)
    options = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
    with _atomic(target) as partial:
        con.execute(f"COPY ({sql}) TO {_literal(str(partial))} ({options})")
    return target


# --- xlsx -------------------------------------------------------------------------------------

def sheet_names(tables: list[str]) -> dict[str, str]:
    """A sheet name per table, by one rule: `schema.table`, Excel's forbidden characters
    replaced, cut to its 31 characters at the end (the schema stays), unique (`~2`, `~3`...
    where two cut names clash); the `about` sheet gives each table's sheet.
    """
    used = {ABOUT_SHEET}
    names = {}
    for table in tables:
        base = table.translate(SHEET_NAME_FORBIDDEN).strip("'")[:SHEET_NAME_MAX] or "sheet"
        name, n = base, 1
        # Sheet names are unique without regard to case; "History" is Excel's own.
        while name.lower() in used or name.lower() == "history":
            n += 1
            suffix = f"~{n}"
            name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        used.add(name.lower())
        names[table] = name
    return names


def _check_xlsx_limits(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    """Fail before writing anything when a table does not fit in a sheet; each table's
    rows."""
    counts = {}
    for table in tables:
        rows = con.execute(f"select count(*) from {_ident(table)}").fetchone()[0]
        if rows + 1 > XLSX_MAX_ROWS:
            raise ExportError(
                f"{table} has {rows:,} rows; an xlsx sheet holds {XLSX_MAX_ROWS - 1:,} below "
                "its header: export it as csv or parquet")
        columns = len(con.sql(f"select * from {_ident(table)}").columns)
        if columns > XLSX_MAX_COLUMNS:
            raise ExportError(f"{table} has {columns:,} columns; an xlsx sheet holds "
                              f"{XLSX_MAX_COLUMNS:,}: export it as csv or parquet")
        counts[table] = rows
    return counts


def _write_xlsx(con: duckdb.DuckDBPyConnection, tables: list[str], counts: dict[str, int],
                target: Path, track: Callable[[list[str]], Iterator[str]]) -> Path:
    # openpyxl: the maintained writer of .xlsx files (already used for the sample
    # workbooks); its write-only mode streams each sheet to disk as rows are appended.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    sheets = sheet_names(tables)
    book = Workbook(write_only=True)
    _write_about(con, book, tables, sheets)
    for table in track(tables):
        sheet = book.create_sheet(sheets[table])
        columns, sql = _select(con, _ident(table), "xlsx")
        # Widths and the filter go before the rows: write-only sheets are streamed.
        for i, width in enumerate(_widths(con, table, columns), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{counts[table] + 1}"
        _header(sheet, columns)
        cursor = con.execute(sql)
        while batch := cursor.fetchmany(XLSX_BATCH):
            for row in batch:
                sheet.append([_xlsx_cell(sheet, v) for v in row])
    with _atomic(target) as partial:
        book.save(partial)
    return target


def _header(sheet, columns: list[str]) -> None:
    """A bold header row, frozen above the rows."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)


# Characters a spreadsheet shows for a value of these types (dates in ISO, booleans as
# TRUE/FALSE, numbers in the General format: at most 11 digits).
SHOWN = {"date": 10, "timestamp": 19, "timestamp with time zone": 19, "boolean": 5}


def _widths(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[float]:
    """Each column's width: its header or its longest value as shown, within WIDTH_MIN and
    WIDTH_MAX (wrapped text and filters read better than a sheet one screen wide)."""
    relation = con.sql(f"select * from {_ident(table)}")
    longest = []
    for name, dtype in zip(relation.columns, relation.types, strict=True):
        kind = dtype.id
        if kind in SHOWN:
            longest.append(f"{SHOWN[kind]}")
        elif kind in NUMERIC:
            longest.append(f"least(max(length(cast({_column(name)} as varchar))), 12)")
        else:
            longest.append(f"max(length(cast({_column(name)} as varchar)))")
    row = con.execute(f"select {', '.join(longest) or 0} from {_ident(table)}").fetchone()
    # The header's filter button takes about two characters.
    return [float(min(WIDTH_MAX, max(WIDTH_MIN, len(name) + 3, (width or 0) + 2)))
            for name, width in zip(columns, row, strict=True)]


def table_docs() -> dict[str, tuple[str, dict[str, str]]]:
    """`schema.table` -> (description, column -> description): dbt's YAML for the tables
    dbt builds and the seeds, the publication room's words for the two tables it writes."""
    from ingest.dbt_contract import descriptions
    from warehouse.publication.records import table_docs as publication_docs

    return {**descriptions(), **publication_docs()}


def _open(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only; ExportError saying what to do if it cannot be."""
    if not Path(warehouse).exists():
        raise ExportError(f"no published warehouse at {warehouse}; run `spf run` first")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        raise ExportError(f"cannot open {warehouse}: {_first_line(error)}") from None


def table_list(warehouse: Path, schemas: tuple[str, ...] = ("marts",)) -> list[tuple[str, str]]:
    """(`schema.table`, the first sentence of its description) for every table of the
    published `warehouse` in `schemas`, as `spf tables` lists them."""
    con = _open(warehouse)
    try:
        names = [t for t in _tables(con) if t.split(".", 1)[0] in schemas]
    finally:
        con.close()
    docs = table_docs()
    listed = []
    for name in names:
        text = docs.get(name, ("", {}))[0]
        first = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(".;")
        listed.append((name, first))
    return listed


def _write_about(con: duckdb.DuckDBPyConnection, book, tables: list[str],
                 sheets: dict[str, str]) -> None:
    """The first sheet: each table (its sheet, its description), then each of its columns
    with its type and description."""
    from openpyxl.styles import Font

    docs = table_docs()
    sheet = book.create_sheet(ABOUT_SHEET)
    columns = ["sheet", "table", "column", "type", "description"]
    rows = []
    for table in tables:
        described, by_column = docs.get(table, ("", {}))
        rows.append((sheets[table], table, None, None, described))
        relation = con.sql(f"select * from {_ident(table)}")
        for name, dtype in zip(relation.columns, relation.types, strict=True):
            rows.append((sheets[table], table, name, str(dtype), by_column.get(name, "")))
    widths = [max([len(c), *(len(str(r[i] or "")) for r in rows)]) + 2
              for i, c in enumerate(columns)]
    for letter, width in zip("ABCDE", widths, strict=True):
        sheet.column_dimensions[letter].width = min(width, 100 if letter == "E" else WIDTH_MAX)
    sheet.auto_filter.ref = f"A1:E{len(rows) + 1}"
    _header(sheet, columns)
    from openpyxl.cell import WriteOnlyCell

    bold = Font(bold=True)
    for row in rows:
        cells = [_xlsx_cell(sheet, v) for v in row]
        if row[2] is None:  # a table's own row
            cells = [WriteOnlyCell(sheet, value=v) for v in cells]
            for cell in cells:
                cell.font = bold
        sheet.append(cells)


def _xlsx_text(text: str) -> str:
    """Text a sheet can hold: no XML-illegal control characters, at most 32,767 characters
    (said in the cell when cut), and no leading formula character."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))
    if len(text) > XLSX_MAX_CELL_CHARS:
        marker = f" [... cut: {len(text):,} characters; the csv and parquet exports hold all]"
        text = text[:XLSX_MAX_CELL_CHARS - len(marker)] + marker
    return text


def _xlsx_cell(sheet, value):
    if not isinstance(value, str):
        return value
    text = _xlsx_text(value)
    from openpyxl.cell.cell import ERROR_CODES

    if text in ERROR_CODES:
        # openpyxl would store the text "#N/A" as an error value; keep it text.
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


# --- ILOSTAT ----------------------------------------------------------------------------------

def ilostat_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SELECT of marts.coverage_sdg131 in ILOSTAT's layout, one row per mart row."""
    flags = [f for (f,) in con.execute(
        "select distinct quality_flag from marts.coverage_sdg131").fetchall()]
    unmapped = sorted(str(f) for f in flags if f not in ILOSTAT_FLAGS)
    if unmapped:
        raise ExportError(f"quality_flag {', '.join(unmapped)} has no ILOSTAT obs_status: "
                          "add it, with its ilostat_obs_status, to the seed "
                          "dbt_project/seeds/quality_flags.csv")

    def case(position: int) -> str:
        whens = " ".join(f"when {_literal(flag)} then {_literal(mapped[position])}"
                         for flag, mapped in ILOSTAT_FLAGS.items()
                         if flag is not None and mapped[position] is not None)
        default = ILOSTAT_FLAGS[None][position]
        return (f"case quality_flag {whens} else "
                f"{_literal(default) if default is not None else 'null'} end")

    return f"""
        select
            country_iso3 as ref_area,
            {_literal(ILOSTAT_SOURCE_PREFIX)} || submission_id as source,
            {_literal(ILOSTAT_INDICATOR)} as indicator,
            sex,
            series as classif1,
            year as time,
            round(coverage_pct, 1) as obs_value,
            {case(0)} as obs_status,
            null::varchar as note_classif,
            {case(1)} as note_indicator,
            null::varchar as note_source
        from marts.coverage_sdg131
        order by ref_area, classif1, time,
            case sex when 'SEX_T' then 0 when 'SEX_M' then 1 else 2 end
    """


def _write_ilostat(con: duckdb.DuckDBPyConnection, out: Path) -> list[Path]:
    """The bulk file, its dictionary and its table of contents, each renamed into place
    only once all three are written."""
    _, sql = _select(con, f"({ilostat_sql(con)}) as ilostat", "csv")
    dictionary = ilostat_dictionary(con)
    toc = ilostat_toc(con)
    names = (ILOSTAT_FILE, ILOSTAT_DICTIONARY, ILOSTAT_TOC)
    with contextlib.ExitStack() as stack:
        partials = [stack.enter_context(_atomic(out / name)) for name in names]
        con.execute(f"COPY ({sql}) TO {_literal(str(partials[0]))} (FORMAT csv, HEADER)")
        for partial, (header, rows) in zip(partials[1:], (dictionary, toc), strict=True):
            with partial.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                writer.writerows([[neutralise(v) if isinstance(v, str) else v for v in row]
                                  for row in rows])
    return [out / name for name in names]


def _country_label(iso3: str) -> str:
    from ingest.reference import country_name

    country = pycountry.countries.get(alpha_3=iso3)
    return country_name(country) if country else iso3


def _submission_dates(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """submission id -> (received, processed) dates (UTC) from ops.submissions, if there."""
    if "ops.submissions" not in _tables(con):
        return {}
    rows = con.execute(
        "select submission_id, min(received_at), max(processed_at) from ops.submissions "
        "where submission_id is not null and status = 'loaded' group by submission_id"
    ).fetchall()
    return {sid: tuple(t.astimezone(dt.UTC).date() if t else None for t in (received, done))
            for sid, received, done in rows}


def ilostat_dictionary(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """(header, rows) of the dictionary: every code of the bulk file with its label."""
    series = dict(zip(codes.SERIES, codes.seed_column("sdg131_series", "series_name"),
                      strict=True))
    flags = codes.quality_flags("coverage_sdg131")
    received = _submission_dates(con)
    mart = con.execute(
        "select distinct country_iso3, series, sex, submission_id, year, revision, "
        "quality_flag from marts.coverage_sdg131").fetchall()
    rows: dict[tuple[str, str], str] = {}
    for iso3, code, sex, submission, year, revision, flag in sorted(
            mart, key=lambda r: tuple("" if v is None else str(v) for v in r)):
        rows[("ref_area", iso3)] = _country_label(iso3)
        when = received.get(submission, (None, None))[0]
        rows[("source", f"{ILOSTAT_SOURCE_PREFIX}{submission}")] = (
            f"ILO Social Security Inquiry (SSI): the workbook of {_country_label(iso3)} for "
            f"reference year {year}, revision {revision}"
            + (f", received {when:%Y-%m-%d}" if when else ""))
        rows[("indicator", ILOSTAT_INDICATOR)] = ILOSTAT_INDICATOR_LABEL
        rows[("sex", sex)] = ILOSTAT_SEX_LABELS.get(sex, sex)
        name = series.get(code, code)
        rows[("classif1", code)] = f"Contingency: {name[:1].upper()}{name[1:]}"
        status, note = ILOSTAT_FLAGS.get(flag, (None, None))
        if status:
            rows[("obs_status", status)] = ILOSTAT_STATUS_LABELS[status]
        if note:
            rows[("note_indicator", note)] = f"{flags[flag].words}: {flags[flag].note}"
    ordered = sorted(rows.items(), key=lambda item: (ILOSTAT_COLUMNS.index(item[0][0]),
                                                     item[0][1]))
    return ["column", "code", "label"], [(column, code, label)
                                         for (column, code), label in ordered]


def ilostat_toc(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """(header, rows) of the table of contents: per country, its rows in the bulk file, the
    years they cover and the day the newest submission behind them was loaded."""
    processed = _submission_dates(con)
    mart = con.execute(
        "select country_iso3, count(*), min(year), max(year), list(distinct submission_id) "
        "from marts.coverage_sdg131 group by country_iso3 order by country_iso3").fetchall()
    rows = []
    for iso3, count, first, last, submissions in mart:
        dates = [processed[s][1] for s in submissions if processed.get(s, (None, None))[1]]
        rows.append((iso3, _country_label(iso3), count, first, last,
                     f"{max(dates):%Y-%m-%d}" if dates else None))
    return ["ref_area", "ref_area_label", "rows", "first_period", "last_period",
            "last_update"], rows


# --- SDMX -------------------------------------------------------------------------------------

def _write_sdmx(con: duckdb.DuckDBPyConnection, out: Path) -> list[Path]:
    """SDG_1_3_1.xml, SDG_1_3_1.csv and SDG_DSD_1_3_1.xml (warehouse/access/sdg_exchange.py),
    each renamed into place only once all three are written."""
    from warehouse.access import sdg_exchange

    try:
        message = sdg_exchange.observations(con)
    except sdg_exchange.MappingError as error:
        raise ExportError(str(error)) from None
    if not message.observations:
        raise ExportError("marts.coverage_sdg131 has no computed figure to send")
    names = (sdg_exchange.DATA_XML, sdg_exchange.DATA_CSV, sdg_exchange.STRUCTURE_XML)
    with contextlib.ExitStack() as stack:
        partials = {name: stack.enter_context(_atomic(out / name)) for name in names}
        try:
            sdg_exchange.write(message, partials)
        except sdg_exchange.MappingError as error:
            raise ExportError(str(error)) from None
    return [out / name for name in names]


# --- progress ---------------------------------------------------------------------------------

def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[list[str]], Iterator[str]]]:
    """A `track(names)` iterator that draws one step per table on standard error.

    Off unless `enabled` and standard error is a terminal (no bar in logs, pipes, cron).
    """
    stream = sys.stderr
    if not (enabled and total and _is_terminal(stream)):
        yield iter
        return
    # rich draws the bar: typer's own dependency for the command line's help and errors
    # (and Prefect's), maintained by Textualize, so no new package comes with it.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(file=stream, force_terminal=True),
                   transient=True)
    with bar:
        task = bar.add_task("export", total=total)

        def track(names: list[str]) -> Iterator[str]:
            for name in names:
                bar.update(task, description=name)
                yield name
                bar.advance(task)

        yield track
