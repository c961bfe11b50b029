"""What to send back to a country's focal point: a feedback workbook, in their language.

`write_feedback` writes a new workbook (.xlsx) for one SSI submission that needs feedback:
rejected, quarantined, or with a warning or a flagged figure (the words of
`ops.submission_checks`). Its first sheet lists every problem (the parser's, the load step's,
the quality gate's, as the state records them in `raw.ssi_files.problems`), every
year-on-year plausibility warning and every flagged figure (e.g. above 100 %), from
`ops.submission_checks` of the published warehouse, each with its sheet, cell, the value
found, the rule and what to do. Then come the sheets of the workbook
the country sent, copied from the archived original (values read with python-calamine,
whatever its format; the original is only ever read), each cell concerned highlighted and
commented.

The workbook is made by `workbook.py`; texts come from one catalogue, `messages.yml`, in
the submission's language: the one the parser found for a loaded submission
(`raw.ssi_submissions.language`), else found again from the workbook's sheet names, cover
labels and column headers as the parser does, English when nothing tells. Each problem also
keeps the check's own message, in English, for the ILO's statisticians.

Warnings and flagged figures are read from the published warehouse rather than computed
again from the state: `ops.submission_checks` is what analysts see, and its thresholds and
flags live in dbt seeds. They exist only for current submissions: a superseded revision has
none.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest.archive import ArchiveDamaged, verified
from ingest.paths import Paths
from ingest.ssi_labels import LANGUAGES
from ingest.ssi_workbook import (
    submission_id,
)
from warehouse.shared.errors import RunFailed
from warehouse.shared.tables import as_dicts

if TYPE_CHECKING:
    # openpyxl and the message catalogue, imported when a workbook is written: a night
    # with nothing new writes none.
    from warehouse.review.workbook import Item


class FeedbackError(RunFailed):
    """No feedback can be written for this key; the message says why, in one line."""


@dataclass(frozen=True)
class Feedback:
    """The workbook written, and what it says."""

    path: Path
    file: str
    submission_id: str | None
    status: str  # rejected | quarantined | loaded
    language: str
    items: list[Item]


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
    wanted = key.upper()
    # A file's submission id is the one it was loaded under, else the one its cover named
    # (ingest/ssi_workbook.py `submission_id`, the one place the format is written). The
    # query narrows the files to those that may match, so that a run writing the feedback
    # of thousands of rejected files does not read every file for each.
    candidates = con.execute(
        "select sha256, original_name, status, submission_id, country_iso3, reference_year, "
        "revision from raw.ssi_files where original_name = $key "
        "or starts_with(sha256, lower($key)) or upper(submission_id) = upper($key) "
        "or (submission_id is null and starts_with(upper($key), upper(country_iso3)))",
        {"key": key}).fetchall()
    matches = sorted({(sha, name, status) for sha, name, status, sid, *identity in candidates
        if name == key or sha.startswith(key.lower()) or wanted == (
            sid or (submission_id(*identity) if None not in identity else "")).upper()})
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
        rows = as_dicts(con.execute("select * from ops.submission_checks "
                                    "where submission_id = ? order by item, sex", [sid]))
    finally:
        if owned:
            con.close()
    from warehouse.review.workbook import CHECKS

    order = {check: i for i, check in enumerate(CHECKS)}
    return sorted(rows, key=lambda r: order.get(r["check_name"], len(order)))


def _loaded_language(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    row = con.execute("select language from raw.ssi_submissions where sha256 = ?",
                      [sha256]).fetchone()
    return row[0] if row and row[0] in LANGUAGES else None


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
    from warehouse.review.workbook import (
        Locator,
        detect_language,
        problem_item,
        read_sheets,
        warning_item,
        write_workbook,
    )

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
        why = ("no warning and no flagged figure in the published warehouse's "
               "ops.submission_checks: it needs no feedback (a superseded revision has none)"
               if status == "loaded" else f"it is {status}")
        raise FeedbackError(f"{record['original_name']}: nothing to send back: {why}")
    sheets = read_sheets(archived)
    language = language or loaded_language or (detect_language(sheets) if sheets else "en")
    where = Locator(sheets or [])
    items = [problem_item(p, language, where) for p in problems] + [
        warning_item(c, language, where) for c in checks]
    write_workbook(out, record, status, language, items, sheets, today or dt.date.today())
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
