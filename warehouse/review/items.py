"""The open items of the statisticians' review, and the words for them.

One vocabulary, the same on the run page, the review pages, `ops.submission_checks`,
`spf status` and `spf feedback`:

- a **warning**: a figure that moved implausibly against the country's earlier year
  (`ops.submission_checks` kind `warning`);
- a **flagged figure**: a coverage figure whose quality flag is followed up with the country,
  e.g. above 100 % (kind `flagged`; seed quality_flags, follow_up);
- a submission **needs feedback** when it was rejected or quarantined, or has a warning or a
  flagged figure: a feedback workbook is written for it and it is an item of the review.

An item stays open until something settles it: a later revision of the same country and
year loaded after it (which also supersedes a loaded one), its release from quarantine
(then it is a loaded submission, open only if it has warnings or flagged figures), or a
statistician's note (`spf accept ID --note WHY`). Items are worked out from the records
(the state, or the published raw layer while a run holds it) and the published warehouse,
so a night with nothing new, or a run that failed, leaves them as they were.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest import raw
from ingest.paths import Paths
from warehouse.review.feedback import FeedbackError, _records, find_file
from warehouse.shared.errors import RunFailed
from warehouse.shared.lock import writer_lock
from warehouse.shared.tables import as_dicts

WARNING, FLAGGED = "warning", "flagged"
TURNED_AWAY = ("rejected", "quarantined")
WORDS = {
    "rejected": "rejected: the workbook breaks the SSI template's rules",
    "quarantined": "quarantined: figures failed a blocking quality check",
    WARNING: "warning: a figure moved implausibly against the country's earlier year",
    FLAGGED: "flagged figure: a figure to follow up with the country (e.g. above 100 %)",
    "needs feedback": "needs feedback: rejected, quarantined, or with a warning or a flagged "
                      "figure",
}


def needs_feedback(status: str, warnings: list, flagged: list) -> bool:
    """The one rule: rejected or quarantined, or with a warning or a flagged figure."""
    return status in TURNED_AWAY or bool(warnings) or bool(flagged)


def what_needs_feedback(status: str, problems: list, warnings: list, flagged: list) -> str:
    """"rejected: 2 problems", "3 flagged figures", "1 warning, 2 flagged figures"."""
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = [count(len(warnings), WARNING)] if warnings else []
    parts += [count(len(flagged), "flagged figure")] if flagged else []
    if status in TURNED_AWAY:
        parts.insert(0, f"{status}: {count(len(problems), 'problem')}")
    return ", ".join(parts)


@dataclass
class ReviewItem:
    """A submission (one file's bytes) that needs feedback and is not settled."""

    sha256: str
    file: str
    status: str  # rejected | quarantined | loaded
    submission_id: str | None
    country_iso3: str | None
    year: int | None
    revision: int | None
    run_id: str | None
    processed_at: object
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What names it on the command line and in its page's name."""
        return self.submission_id or self.sha256[:12]

    @property
    def what(self) -> str:
        return what_needs_feedback(self.status, self.problems, self.warnings, self.flagged)


def _checks(warehouse: Path) -> dict[str, dict[str, list[str]]]:
    """submission id -> kind (warning, flagged) -> what was found, from the published
    ops.submission_checks."""
    found: dict[str, dict[str, list[str]]] = {}
    if not warehouse.exists():
        return found
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = {c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'ops' and "
            "table_name = 'submission_checks'").fetchall()}
        if not columns:
            return found
        kind = "kind" if "kind" in columns else "'warning'"  # a publication before issue 26
        for sid, what, text in con.execute(
                f"select submission_id, {kind}, what_was_found from ops.submission_checks "
                "order by submission_id, item, sex, check_name").fetchall():
            found.setdefault(sid, {}).setdefault(what, []).append(text)
    finally:
        con.close()
    return found


def _problems(value) -> list[str]:
    """Each problem as the run summary says it, where it is first: "Beneficiaries!D6: ..."."""
    problems = json.loads(value) if isinstance(value, str) else value or []
    said = []
    for p in problems:
        message = p.get("message") or p.get("code") or ""
        where = "!".join(str(p[k]) for k in ("sheet", "cell") if p.get(k))
        said.append(f"{where}: {message}" if where and not message.startswith(where)
                    else message)
    return said


def _notes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' and "
                       "table_name = 'ssi_review_notes'").fetchone()[0]:
        return {}
    return dict(con.execute("select sha256, note from raw.ssi_review_notes").fetchall())


def _settled_by_later(record: dict, loaded: list[dict]) -> bool:
    """Whether a revision of the same country and year, at least as high, was loaded after
    the file was decided (`loaded`: the loaded files of its country and year)."""
    return any(other["sha256"] != record["sha256"]
               and (other["revision"] or 0) >= (record["revision"] or 0)
               and other["processed_at"] > record["processed_at"] for other in loaded)


def _superseded(record: dict, loaded: list[dict]) -> bool:
    return any((other["revision"] or 0) > (record["revision"] or 0) for other in loaded)


def open_items(paths: Paths) -> list[ReviewItem]:
    """Every SSI submission that needs feedback and is not settled, by country, year and
    revision (files no one could identify last)."""
    checks = _checks(paths.warehouse)
    try:
        con = _records(paths)
    except FeedbackError:
        return []
    try:
        cursor = con.execute("""
            select sha256, any_value(original_name order by original_name) as original_name,
                   any_value(status) as status, any_value(problems) as problems,
                   any_value(submission_id) as submission_id,
                   any_value(country_iso3) as country_iso3,
                   any_value(reference_year) as reference_year,
                   any_value(revision) as revision, any_value(run_id) as run_id,
                   max(processed_at) as processed_at
            from raw.ssi_files where status != 'duplicate' group by sha256""")
        records = as_dicts(cursor)
        notes = _notes(con)
    finally:
        con.close()
    loaded: dict[tuple, list[dict]] = {}  # (country, year) -> its loaded files
    for r in records:
        if r["status"] == "loaded":
            loaded.setdefault((r["country_iso3"], r["reference_year"]), []).append(r)
    items = []
    for r in records:
        same = loaded.get((r["country_iso3"], r["reference_year"]), []) \
            if r["country_iso3"] and r["reference_year"] else []
        if r["sha256"] in notes:
            continue
        found = checks.get(r["submission_id"] or "", {})
        warnings, flagged = found.get(WARNING, []), found.get(FLAGGED, [])
        if r["status"] == "loaded":
            if _superseded(r, same):
                continue
        elif r["status"] not in TURNED_AWAY or _settled_by_later(r, same):
            continue
        if not needs_feedback(r["status"], warnings, flagged):
            continue
        items.append(ReviewItem(
            sha256=r["sha256"], file=r["original_name"], status=r["status"],
            submission_id=r["submission_id"], country_iso3=r["country_iso3"],
            year=r["reference_year"], revision=r["revision"], run_id=r["run_id"],
            processed_at=r["processed_at"],
            problems=_problems(r["problems"]) if r["status"] in TURNED_AWAY else [],
            warnings=warnings, flagged=flagged))
    return sorted(items, key=lambda i: (i.country_iso3 is None, i.country_iso3 or "",
                                        i.year or 0, i.revision or 0, i.file))


def accept(paths: Paths, key: str, note: str) -> ReviewItem:
    """Settle the open item `key` (file name, sha256 prefix or submission id) with a
    statistician's note; return it. A quarantined one is released instead (`spf release
    --accept`), which loads it."""
    note = (note or "").strip()
    if not note:
        raise RunFailed("--note is needed: say who looked at it and why it is accepted")
    with writer_lock(paths):
        items = {i.sha256: i for i in open_items(paths)}
        con = raw.connect_state(paths.state_db)
        try:
            record = find_file(con, key)
            item = items.get(record["sha256"])
            if item is None:
                raise RunFailed(f"{record['original_name']} is not on the review page: it "
                                "needs no feedback, or is settled already")
            if item.status == "quarantined":
                raise RunFailed(f"{item.file} is quarantined: `spf release {key} --accept "
                                "--note WHY` loads it as it is, which settles it")
            con.execute("insert or replace into raw.ssi_review_notes values (?, ?, ?)",
                        [item.sha256, note, dt.datetime.now(dt.UTC)])
        finally:
            con.close()
    return item
