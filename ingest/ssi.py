"""SSI ingest: land workbooks, parse the new ones, decide each file's fate, load raw rows.

One call handles a whole batch of files: parsing runs in worker processes, and
all rows of the batch are inserted with one statement per table inside one
transaction, so a killed run leaves the state as it was before the batch.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ingest import raw
from ingest.landing import LandedFile, land_directory
from ingest.ssi_workbook import ParsedSubmission, Problem, RejectedWorkbook, parse_workbook

SOURCE = "ssi"
PARALLEL_FROM = 16  # below this many workbooks, starting worker processes costs more than it saves


@dataclass
class Outcome:
    """What became of one landed file."""

    landed: LandedFile
    status: str  # loaded | duplicate | rejected | quarantined
    submission: ParsedSubmission | None = None
    problems: list[Problem] = field(default_factory=list)
    identity: dict = field(default_factory=dict)
    note: str | None = None

    @property
    def reason_code(self) -> str | None:
        if self.problems:
            return self.problems[0].code
        return "accepted_after_review" if self.status == "loaded" and self.note else None

    @property
    def reason_message(self) -> str | None:
        if self.problems:
            return RejectedWorkbook(self.problems).message
        return self.note


@dataclass
class IngestReport:
    outcomes: list[Outcome]

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))

    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("rejected", "quarantined")]


def _parse_one(path: str) -> ParsedSubmission | tuple[list[Problem], dict]:
    """Parse one workbook; a rejection comes back as (problems, identity) so it pickles."""
    try:
        return parse_workbook(path)
    except RejectedWorkbook as rejection:
        return rejection.problems, rejection.identity
    except Exception as error:  # a parser bug must not sink the rest of the batch
        return [Problem("unreadable_file", f"could not be parsed ({type(error).__name__}: "
                        f"{error})")], {}


def _parse_all(paths: list[str]) -> list[ParsedSubmission | tuple[list[Problem], dict]]:
    """Parse workbooks, in worker processes when there are enough to pay for them."""
    if len(paths) < PARALLEL_FROM:
        return [_parse_one(p) for p in paths]
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, 8)) as pool:
        return list(pool.map(_parse_one, paths, chunksize=8))


def decide(landed: list[LandedFile], parsed: dict[str, object],
           loaded_identities: dict[tuple, tuple[str, str]],
           processed: dict[str, tuple[str, str]]) -> list[Outcome]:
    """Give every new landing its status: duplicate, rejected or loaded.

    `parsed` maps sha256 to a ParsedSubmission or (problems, identity);
    `loaded_identities` maps (iso3, year, revision) to (sha256, original_name) of what
    is already loaded; `processed` maps sha256 to (status, original_name) of files
    already seen. Files are decided in name order so the outcome is reproducible.
    """
    identities = dict(loaded_identities)
    seen = dict(processed)
    outcomes = []
    for file in landed:
        if file.sha256 in seen:
            status, first_name = seen[file.sha256]
            outcomes.append(Outcome(file, "duplicate", note=(
                f"same bytes as '{first_name}' ({status}); nothing new to load")))
            continue
        result = parsed[file.sha256]
        if not isinstance(result, ParsedSubmission):
            problems, identity = result
            outcomes.append(Outcome(file, "rejected", problems=problems, identity=identity))
            seen[file.sha256] = ("rejected", file.original_name)
            continue
        key = (result.country_iso3, result.reference_year, result.revision)
        if key in identities and identities[key][0] != file.sha256:
            other = identities[key][1]
            problem = Problem("conflicting_redelivery", (
                f"{result.country_iso3} {result.reference_year} revision {result.revision} "
                f"was already loaded from '{other}' with different content; send a "
                f"correction as revision {result.revision + 1}"))
            outcomes.append(Outcome(file, "rejected", problems=[problem],
                                    identity=_identity(result)))
            seen[file.sha256] = ("rejected", file.original_name)
            continue
        identities[key] = (file.sha256, file.original_name)
        seen[file.sha256] = ("loaded", file.original_name)
        outcomes.append(Outcome(file, "loaded", submission=result, identity=_identity(result)))
    return outcomes


def _identity(sub: ParsedSubmission) -> dict:
    return {"country_iso3": sub.country_iso3, "reference_year": sub.reference_year,
            "revision": sub.revision}


def table_frames(outcomes: Iterable[Outcome]) -> dict[str, pd.DataFrame]:
    """The parsed rows of loaded outcomes, one frame per table, ready to validate and insert."""
    rows: dict[str, list[dict]] = {table: [] for table in raw.SSI_TABLES}
    for outcome in outcomes:
        sub = outcome.submission
        if outcome.status != "loaded" or sub is None:
            continue
        lineage = {"submission_id": sub.submission_id, "sha256": outcome.landed.sha256}
        for table, table_rows in sub.tables.items():
            rows[table].extend({**lineage, **row} for row in table_rows)
    return {table: pd.DataFrame.from_records(table_rows) for table, table_rows in rows.items()}


def archived_files(con: duckdb.DuckDBPyConnection, where: str = "true",
                   params: list | None = None) -> list[LandedFile]:
    """Landed SSI files recorded in the state, oldest delivery first, as the archive has them."""
    rows = con.execute(f"""
        select sha256, original_name, size_bytes, received_at, archive_path
        from raw.ssi_files where {where}
        order by received_at, original_name""", params or []).fetchall()
    return [LandedFile(SOURCE, sha, name, size, received.isoformat(), path)
            for sha, name, size, received, path in rows]


def release(con: duckdb.DuckDBPyConnection, key: str, run_id: str, gate=None,
            note: str | None = None) -> IngestReport:
    """Re-decide one quarantined file from the archive, by original name or sha256 prefix.

    With a gate, the file is validated again (after a suite or parser fix); without one
    (a statistician reviewed and accepted the figures, `note` says why), it loads as it is.
    """
    matches = {f.sha256 for f in archived_files(
        con, "status = 'quarantined' and (original_name = ? or starts_with(sha256, ?))",
        [key, key.lower()])}
    if not matches:
        raise LookupError(f"no quarantined SSI file matches {key!r}; see `spf status`")
    if len(matches) > 1:
        raise LookupError(f"{key!r} matches several files; give more of the sha256")
    sha = matches.pop()
    accepted = {} if gate is not None else {sha: note or "accepted after review"}
    return ingest_landed(con, archived_files(con, "sha256 = ?", [sha]), run_id, gate=gate,
                         redo={sha}, accepted=accepted)


def accepted_files(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Files a statistician accepted despite the gate (sha256 -> their reason)."""
    return dict(con.execute("select sha256, any_value(reason_message) from raw.ssi_files "
                            "where reason_code = 'accepted_after_review' group by 1").fetchall())


def backfill_ssi(con: duckdb.DuckDBPyConnection, run_id: str, landed: list[LandedFile],
                 years: tuple[int, int] | None, countries: list[str] | None, reread: bool,
                 gate=None) -> IngestReport:
    """Re-decide archived SSI files of a scope, oldest delivery first, plus new landings.

    The scope is the recorded country and year of each file; files whose country and year
    could not be read are re-read too, since a fixed parser may now read them. Files a
    statistician accepted stay accepted.
    """
    where, params = ["(country_iso3 is null or reference_year is null or (true"], []
    if years:
        where.append("and reference_year between ? and ?")
        params += list(years)
    if countries:
        where.append("and list_contains(?, country_iso3)")
        params.append([c.upper() for c in countries])
    where.append("))")
    files = archived_files(con, " ".join(where), params) if reread else []
    return ingest_landed(con, files + landed, run_id, gate=gate,
                         redo={f.sha256 for f in files}, accepted=accepted_files(con))


def ingest_ssi(con: duckdb.DuckDBPyConnection, landing: Path, archive: Path, run_id: str,
               gate: Callable[[dict[str, pd.DataFrame]], dict[str, list[Problem]]] | None = None
               ) -> IngestReport:
    """Land, parse, gate and load every new SSI workbook under `landing`.

    `gate` validates the parsed frames and returns, per submission id, the problems
    that quarantine it; the other submissions load.
    """
    return ingest_landed(con, land_ssi(con, landing, archive), run_id, gate)


def land_ssi(con: duckdb.DuckDBPyConnection, landing: Path, archive: Path) -> list[LandedFile]:
    """Archive the workbooks under `landing` not recorded yet under the same name and bytes."""
    known = set(con.execute("select sha256, original_name from raw.ssi_files").fetchall())
    return land_directory(landing, archive, SOURCE, "*.xlsx", known)


def ingest_landed(con: duckdb.DuckDBPyConnection, landed: list[LandedFile], run_id: str,
                  gate=None, redo: set[str] = frozenset(),
                  accepted: dict[str, str] | None = None) -> IngestReport:
    """Decide and load archived files, in the order given.

    `redo` holds the sha256 of files decided before (a release after a fix, a backfill):
    their earlier outcome and rows are replaced, in the same transaction, by the new ones,
    so `landed` must list every name recorded for them.
    `accepted` maps the sha256 of files a statistician accepted despite the gate to the
    reason they gave: those load whatever the gate says, and keep that reason.
    """
    accepted = accepted or {}
    if not landed:
        return IngestReport([])
    processed = {sha: (status, name) for sha, status, name in con.execute(
        "select sha256, arg_min(status, processed_at), arg_min(original_name, processed_at) "
        "from raw.ssi_files group by sha256").fetchall() if sha not in redo}
    loaded_identities = {(iso3, year, rev): (sha, name) for iso3, year, rev, sha, name in
                         con.execute("""
        select s.country_iso3, s.reference_year, s.revision, s.sha256, any_value(f.original_name)
        from raw.ssi_submissions s join raw.ssi_files f using (sha256)
        group by all""").fetchall() if sha not in redo}
    to_parse = sorted({f.sha256: f.archive_path for f in landed
                       if f.sha256 not in processed}.items())
    parsed = dict(zip([sha for sha, _ in to_parse],
                      _parse_all([path for _, path in to_parse]), strict=True))
    outcomes = decide(landed, parsed, loaded_identities, processed)

    if gate is not None:
        failures = gate(table_frames(outcomes))
        for outcome in outcomes:
            sub = outcome.submission
            if sub is not None and sub.submission_id in failures and \
                    outcome.landed.sha256 not in accepted:
                outcome.status = "quarantined"
                outcome.problems = failures[sub.submission_id]
    for outcome in outcomes:
        if outcome.status == "loaded" and outcome.landed.sha256 in accepted:
            outcome.note = accepted[outcome.landed.sha256]

    _store(con, outcomes, run_id, replace=redo)
    return IngestReport(outcomes)


def _store(con: duckdb.DuckDBPyConnection, outcomes: list[Outcome], run_id: str,
           replace: set[str] = frozenset()) -> None:
    """Write the batch's files, submissions and rows in one transaction.

    Rows of the files in `replace` (sha256) are removed first, so a re-processed file
    ends with exactly one outcome and one set of rows.
    """
    files = [{
        **{k: v for k, v in asdict(o.landed).items() if k != "source"},
        "status": o.status, "reason_code": o.reason_code, "reason_message": o.reason_message,
        "problems": json.dumps([_problem_json(p) for p in o.problems]) if o.problems else None,
        "submission_id": o.submission.submission_id if o.submission else None,
        **o.identity, "run_id": run_id,
    } for o in outcomes]
    loaded = [o for o in outcomes if o.status == "loaded"]
    submissions = [{
        "submission_id": o.submission.submission_id, "sha256": o.landed.sha256,
        "country_iso3": o.submission.country_iso3,
        "reference_year": o.submission.reference_year, "revision": o.submission.revision,
        "language": o.submission.language, **o.submission.cover,
        "sheets": o.submission.sheets, "run_id": run_id,
    } for o in loaded]
    cover = [{"submission_id": o.submission.submission_id, "sha256": o.landed.sha256, **cell}
             for o in loaded for cell in o.submission.cover_cells]
    raw.write_batch(
        con, [("raw.ssi_files", files), ("raw.ssi_submissions", submissions),
              ("raw.ssi_cover", cover),
              *((f"raw.ssi_{table}", frame) for table, frame in table_frames(loaded).items())],
        replace=[f"raw.ssi_{t}" for t in ("files", "submissions", "cover", *raw.SSI_TABLES)],
        key="sha256", keys=replace)


def _problem_json(problem: Problem) -> dict:
    value = problem.value
    return {**asdict(problem), "value": value if isinstance(value, int | float | str | None)
            else str(value)}


class SourceGate:
    """Validates a batch's parsed tables with the `ssi__*` suites, one checkpoint per table.

    A blocking failure quarantines the submissions whose rows failed; a failure that
    names no rows (a table-level expectation) quarantines every submission in the table.
    """

    def __init__(self, gates, run_name: str):
        self.gates = gates
        self.run_name = run_name
        self.results = []

    def __call__(self, frames: dict[str, pd.DataFrame]) -> dict[str, list[Problem]]:
        batches = [(f"{SOURCE}__{table}", frame, ["submission_id", "source_row"])
                   for table, frame in frames.items() if not frame.empty]
        results = self.gates.validate_all(batches, self.run_name)
        self.results.extend(results)
        failures: dict[str, list[Problem]] = {}
        for (_, frame, _), result in zip(batches, results, strict=True):
            table = result.suite.removeprefix(f"{SOURCE}__")
            for failure in result.failures:
                if not failure.blocking:
                    continue
                ids = {r.get("submission_id") for r in failure.rows} or set(frame.submission_id)
                for sid in sorted(ids):
                    rows = sorted({r["source_row"] for r in failure.rows
                                   if r.get("submission_id") == sid and "source_row" in r})
                    where = f"rows {', '.join(map(str, rows))}: " if rows else ""
                    failures.setdefault(sid, []).append(Problem(
                        "failed_expectation", f"{where}{failure.describe()}", sheet=table))
        return failures
