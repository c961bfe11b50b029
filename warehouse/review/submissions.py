"""The statisticians' review on the published warehouse: what each submission of a run
brought (its problems, warnings and flagged figures, with what to send back to those that
need feedback), and who has not reported a year yet."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.paths import PRIVATE_DIR, PRIVATE_FILE, Paths
from warehouse.access.query import run_query
from warehouse.review import items
from warehouse.review.feedback import feedback_batch
from warehouse.shared.summary import RunSummary, SubmissionReview
from warehouse.sources.registry import SOURCES


def _figures(warehouse: Path, ids: list[str]) -> tuple[dict, dict]:
    """submission id -> its warnings, and its flagged figures (what ops.submission_checks
    found, rounded as a statistician reads them)."""
    found: dict[str, dict[str, list[str]]] = {items.WARNING: {}, items.FLAGGED: {}}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for sid, kind, text in con.execute(
                "select submission_id, kind, what_was_found from ops.submission_checks "
                "where list_contains($1, submission_id) order by submission_id, kind, item, "
                "sex, check_name", [ids]).fetchall():
            found[kind].setdefault(sid, []).append(text)
    finally:
        con.close()
    return found[items.WARNING], found[items.FLAGGED]


def _reviewed() -> list[str]:
    """The sources whose deliveries statisticians review one by one (SSI submissions)."""
    return [source.name for source in SOURCES.values() if source.reviewed]


def feedback_name(file: str, sha256: str) -> str:
    """`<stem>.<sha256[:12]>.feedback.xlsx` for a submission's file, its stem shortened so
    that the name fits the 255 bytes a file system allows (a long name once made writing
    the feedback fail after the run was published, and it was never written)."""
    tail = f".{sha256[:12]}.feedback.xlsx"
    stem = Path(file).stem.encode()[:255 - len(tail.encode())].decode("utf-8", "ignore")
    return f"{stem}{tail}"


def review_submissions(paths: Paths, summary: RunSummary) -> list[SubmissionReview]:
    """Every SSI submission of the run with its warnings and flagged figures (from the
    published warehouse), and for each one that needs feedback (rejected, quarantined, or
    with a warning or a flagged figure: `items.needs_feedback`), the feedback workbook for
    the country, written into the home's private `feedback/` folder (it copies the workbook,
    contact e-mail included)."""
    rows = [dict(row) for source in _reviewed()
            for row in summary.get(source, {}).get("submissions", [])
            if row["status"] != "duplicate"]
    ids = [row["submission_id"] for row in rows if row["submission_id"]]
    warnings, flagged = _figures(paths.warehouse, ids) if ids and paths.warehouse.exists() \
        else ({}, {})
    paths.feedback.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    asked = []
    for row in rows:
        row["warnings"] = warnings.get(row["submission_id"], [])
        row["flagged"] = flagged.get(row["submission_id"], [])
        row["feedback"] = None
        if items.needs_feedback(row["status"], row["warnings"], row["flagged"]):
            asked.append((row, paths.feedback / feedback_name(row["file"], row["sha256"])))
    written = feedback_batch(paths, [(row["sha256"], out) for row, out in asked])
    for (row, out), nothing in zip(asked, written, strict=True):
        if nothing is None:  # else nothing to send back for it (e.g. a refused folder)
            out.chmod(PRIVATE_FILE)
            row["feedback"] = str(out)
    return [SubmissionReview(**row) for row in rows]

# Every country, with what became of its deliveries for the year when it sent any: from
# dim_country, so that a year outside marts.ssi_reporting_status (nothing accepted yet for
# it) lists every country as not received.
MISSING_SQL = """
    select
        d.country_iso3,
        d.country_name,
        case
            when d.phase1_focus and d.phase2_focus then 'phases 1 and 2'
            when d.phase1_focus then 'phase 1'
            when d.phase2_focus then 'phase 2'
        end as focus,
        coalesce(s.status, 'not_received') as status,
        coalesce(s.rejected_deliveries, 0) as rejected,
        coalesce(s.quarantined_deliveries, 0) as quarantined,
        s.latest_problem
    from marts.dim_country as d
    left join marts.ssi_reporting_status as s
        on s.country_iso3 = d.country_iso3 and s.year = {year}
    where coalesce(s.status, 'not_received') != 'accepted'
    order by d.phase1_focus or d.phase2_focus desc, d.phase1_focus desc, d.country_iso3
"""


def missing_reports(warehouse: Path, year: int) -> tuple[list[str], list[tuple]]:
    """Countries with no accepted SSI submission for `year`, focus countries first (phase 1,
    then phase 2 only, then the others, each by ISO3 code), read-only on the published
    warehouse: status (not_received, rejected, quarantined), deliveries turned away, and the
    reason code of the latest one."""
    return run_query(warehouse, MISSING_SQL.format(year=int(year)))
