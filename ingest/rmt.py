"""RMT ingest: land project-report pages, check them against the contract, load raw rows.

Pages arrive by two routes carrying the same bodies: the API (`ingest/rmt_api.py`) and
file exports (a folder of page files, one sub-folder per export). Either way the unit is
a *fetch*: all its pages load together or none does, and the API's high-water mark
(the latest `updated_at` loaded) moves only with a loaded fetch. Every page body is
archived byte for byte before anything is parsed, whatever becomes of the fetch.

The raw layer keeps every version of every intervention (a later `updated_at` replaces
an earlier one only in the marts); each row carries its intervention version, fetch
and page sha256.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingest import raw
from ingest.landing import LandedFile, archive_bytes
from ingest.rmt_contract import Page, parse_page
from ingest.ssi_workbook import Problem, RejectedWorkbook

SOURCE = "rmt"
CHILD_TABLES = ("funding", "institutional_changes", "outcomes", "impact_snapshots", "outputs")
VERSION_KEY = ["intervention_id", "updated_at"]


@dataclass(frozen=True)
class LandedPage:
    """An archived page body and where it sits in its fetch."""

    file: LandedFile
    page: int | None  # the page number asked for (API); for an export, only its body says
    url: str | None = None


@dataclass
class Fetch:
    """A set of pages that loads as one: an API fetch or one export folder."""

    fetch_id: str
    route: str  # api | export
    origin: str  # the API's base URL, or the export folder's path under the landing area
    pages: list[LandedPage]
    updated_since: str | None = None
    content_sha256: str | None = None  # of an export folder's (name, sha256) list
    error: Problem | None = None  # why the API stopped before the last page


@dataclass
class FetchOutcome:
    """What became of one fetch."""

    fetch: Fetch
    status: str  # loaded | rejected | quarantined | failed | unchanged (API, nothing new)
    problems: list[Problem] = field(default_factory=list)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    items: int = 0
    new_versions: int = 0
    high_water_mark: datetime | None = None
    note: str | None = None

    @property
    def reason_code(self) -> str | None:
        if self.problems:
            return self.problems[0].code
        return "accepted_after_review" if self.note else None

    @property
    def reason_message(self) -> str | None:
        return RejectedWorkbook(self.problems).message if self.problems else self.note


@dataclass
class RmtReport:
    outcomes: list[FetchOutcome]
    error: str | None = None  # why the API did not deliver (the fetch is recorded as failed)

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))

    def rejected(self) -> list[FetchOutcome]:
        return [o for o in self.outcomes if o.status not in ("loaded", "unchanged")]

    @property
    def new_versions(self) -> int:
        return sum(o.new_versions for o in self.outcomes)


# --- landing -------------------------------------------------------------------------------

def land_pages(archive: Path, bodies: Iterable[tuple[str, bytes, int | None, str | None]]
               ) -> list[LandedPage]:
    """Archive page bodies as (name, bytes, page, url); return them as landed pages."""
    return [LandedPage(archive_bytes(archive, SOURCE, body, name, ".json"), page, url)
            for name, body, page, url in bodies]


def export_fetches(landing: Path, archive: Path, run_id: str,
                   seen: set[tuple[str, str]]) -> list[Fetch]:
    """One fetch per export folder under `landing` whose content was not decided before.

    An export folder holds page files (`*.json`); files directly in `landing` form one
    export too. A folder is identified by its names and contents, so a corrected export
    (a page replaced) is decided again as a whole. `seen` holds (origin, content_sha256)
    of exports already decided. The landing area is only read.
    """
    folders: dict[str, list[Path]] = {}
    for path in sorted(p for p in landing.rglob("*.json") if p.is_file()):
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts):
            continue
        folders.setdefault(relative.parent.as_posix(), []).append(path)
    fetches = []
    for number, (folder, paths) in enumerate(sorted(folders.items()), start=1):
        bodies = [(p.relative_to(landing).as_posix(), p.read_bytes()) for p in paths]
        content = hashlib.sha256("\n".join(
            f"{name}:{hashlib.sha256(body).hexdigest()}" for name, body in bodies).encode()
        ).hexdigest()
        if (folder, content) in seen:
            continue
        pages = land_pages(archive, [(name, body, None, None) for name, body in bodies])
        fetches.append(Fetch(f"{SOURCE}-{run_id}-{number:03d}", "export", folder, pages,
                             content_sha256=content))
    return fetches


def decided_exports(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return set(con.execute("select origin, content_sha256 from raw.rmt_fetches "
                           "where route = 'export'").fetchall())


def high_water_mark(con: duckdb.DuckDBPyConnection, base_url: str) -> str | None:
    """The latest `updated_at` loaded from this API, as the `updated_since` of the next fetch."""
    mark = con.execute("select max(high_water_mark) from raw.rmt_fetches where route = 'api' "
                       "and origin = ? and status = 'loaded'", [base_url]).fetchall()[0][0]
    return mark.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if mark else None


# --- deciding --------------------------------------------------------------------------------

def _parse(fetch: Fetch) -> tuple[list[tuple[LandedPage, Page, list[dict]]], list[Problem]]:
    """Parse every page of a fetch; problems include pages missing from the chain."""
    parsed, problems = [], []
    for landed in fetch.pages:
        result = parse_page(Path(landed.file.archive_path).read_bytes(), landed.file.original_name)
        if isinstance(result, list):
            problems += result
        else:
            parsed.append((landed, *result))
    if problems or fetch.error:
        return parsed, ([fetch.error] if fetch.error else []) + problems
    numbers = sorted(page.page for _, page, _ in parsed)
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(Problem("incomplete_fetch", f"pages {numbers} do not run from 1 without "
                                "a gap or a repeat; the fetch is incomplete", sheet=fetch.origin))
    elif parsed and max(parsed, key=lambda p: p[1].page)[1].next_page is not None:
        problems.append(Problem("incomplete_fetch", f"the last page ({numbers[-1]}) names a next "
                                "page; the fetch is incomplete", sheet=fetch.origin))
    return parsed, problems


def flatten(parsed: list[tuple[LandedPage, Page, list[dict]]], fetch_id: str
            ) -> dict[str, pd.DataFrame]:
    """Raw rows of every intervention version in the pages, one frame per raw table."""
    rows: dict[str, list[dict]] = {"interventions": [], **{t: [] for t in CHILD_TABLES}}
    for landed, page, documents in parsed:
        for item, document in zip(page.items, documents, strict=True):
            canonical = json.dumps(document, sort_keys=True, ensure_ascii=False)
            key = {"intervention_id": item.id, "updated_at": item.updated_at.astimezone(UTC)}
            lineage = {**key, "fetch_id": fetch_id, "page_sha256": landed.file.sha256}
            rows["interventions"].append({
                **lineage, "version_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
                "deleted": item.deleted, "title": item.title, "country_iso3": item.country_iso3,
                "level": item.level, "flagship": item.flagship,
                "thematic_areas": list(item.thematic_areas), "start_date": item.start_date,
                "end_date": item.end_date, "document": canonical})
            rows["funding"] += [{**lineage, "position": n, "partner": f.partner, "year": f.year,
                                 "amount_usd": f.amount_usd}
                                for n, f in enumerate(item.funding, start=1)]
            rows["institutional_changes"] += [{
                **lineage, "change_id": c.id, "step": c.step, "title": c.title,
                "status": c.status, "achieved_on": c.achieved_on, "branches": list(c.branches),
                "partners": list(c.partners)} for c in item.institutional_changes]
            rows["outcomes"] += [{
                **lineage, "outcome_id": o.id, "outcome_type": o.type, "branch": o.branch,
                "expected_persons": o.expected_persons, "expected_date": o.expected_date}
                for o in item.outcomes]
            rows["impact_snapshots"] += [{
                **lineage, "outcome_id": o.id, "as_of": s.as_of, "persons": s.persons,
                "women": s.women, "men": s.men} for o in item.outcomes for s in o.impact_history]
            rows["outputs"] += [{
                **lineage, "position": n, "output_type": o.type, "output_date": o.date,
                "count": o.count, "title": o.title} for n, o in enumerate(item.outputs, start=1)]
    return {table: pd.DataFrame.from_records(table_rows, columns=None if table_rows else
                                             [*VERSION_KEY, "fetch_id", "page_sha256"])
            for table, table_rows in rows.items()}


def _new_versions(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame],
                  redo: set[str]) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Keep each version not loaded yet, once; a version id seen with other content conflicts.

    A version is an (intervention id, updated_at); it may come twice (on two pages, or in
    an earlier fetch) only with the same content. Fetches in `redo` do not count as loaded.
    """
    versions = frames["interventions"]
    if versions.empty:
        return frames, []
    con.register("_versions", versions[[*VERSION_KEY, "version_sha256"]])
    try:
        con.execute("""
            create or replace temp table _known as
            select intervention_id, updated_at, version_sha256 from raw.rmt_interventions
            where not list_contains(?, fetch_id)""", [sorted(redo)])
        clashes = con.execute("""
            select intervention_id, updated_at
            from (select * from _versions union all select * from _known)
            group by all having count(distinct version_sha256) > 1
            order by all""").fetchall()
        loaded = set(con.execute("select intervention_id, updated_at from _versions "
                                 "intersect select intervention_id, updated_at from _known"
                                 ).fetchall())
        con.execute("drop table _known")
    finally:
        con.unregister("_versions")
    if clashes:
        return frames, [Problem("conflicting_version", (
            f"{iid} version {updated:%Y-%m-%dT%H:%M:%SZ} arrived with content different from "
            "the same version loaded before; a changed intervention needs a later updated_at"),
            sheet=iid) for iid, updated in clashes[:20]]
    first = versions.drop_duplicates(VERSION_KEY)
    first = first[[(i, u) not in loaded for i, u in zip(first.intervention_id, first.updated_at,
                                                         strict=True)]]
    if len(first) == len(versions):
        return frames, []
    keep = first[[*VERSION_KEY, "page_sha256"]]
    return {table: frame.merge(keep, on=[*VERSION_KEY, "page_sha256"])
            for table, frame in frames.items()}, []


def decide(con: duckdb.DuckDBPyConnection, fetch: Fetch, gate=None, redo: set[str] = frozenset(),
           accepted: str | None = None) -> FetchOutcome:
    """Parse, check and gate one fetch; nothing is written here.

    `redo` holds ids of fetches being decided again (their own rows do not count as
    loaded); `accepted` is a statistician's reason to load a fetch whatever its gate says.
    """
    parsed, problems = _parse(fetch)
    if fetch.error:
        return FetchOutcome(fetch, "rejected" if fetch.error.code == "bad_page" else "failed",
                            problems)
    if problems:
        return FetchOutcome(fetch, "rejected", problems)
    frames = flatten(parsed, fetch.fetch_id)
    items = len(frames["interventions"])
    mark = frames["interventions"].updated_at.max() if items else None
    frames, problems = _new_versions(con, frames, redo)
    if problems:
        return FetchOutcome(fetch, "rejected", problems, items=items)
    outcome = FetchOutcome(fetch, "loaded", frames=frames, items=items,
                           new_versions=len(frames["interventions"]),
                           high_water_mark=None if mark is None else mark.to_pydatetime())
    if gate is not None and outcome.new_versions and accepted is None:
        failures = gate(frames)
        if failures:
            return FetchOutcome(fetch, "quarantined", failures, items=items)
    outcome.note = accepted
    return outcome


# --- storing ---------------------------------------------------------------------------------

def store(con: duckdb.DuckDBPyConnection, outcomes: list[FetchOutcome], run_id: str,
          replace: set[str] = frozenset()) -> None:
    """Write the fetches, their pages and the rows of loaded ones in one transaction.

    Rows of the fetches in `replace` are removed first (a fetch decided again).
    """
    now = datetime.now(UTC)
    fetches = [{
        "fetch_id": o.fetch.fetch_id, "route": o.fetch.route, "origin": o.fetch.origin,
        "updated_since": o.fetch.updated_since, "content_sha256": o.fetch.content_sha256,
        "status": o.status, "reason_code": o.reason_code, "reason_message": o.reason_message,
        "problems": json.dumps([_problem_json(p) for p in o.problems]) if o.problems else None,
        "pages": len(o.fetch.pages), "items": o.items, "new_versions": o.new_versions,
        "high_water_mark": o.high_water_mark, "run_id": run_id, "processed_at": now,
    } for o in outcomes]
    pages = [{
        "sha256": p.file.sha256, "original_name": p.file.original_name,
        "fetch_id": o.fetch.fetch_id, "page": p.page, "url": p.url,
        "size_bytes": p.file.size_bytes, "received_at": p.file.received_at,
        "archive_path": p.file.archive_path, "status": o.status,
    } for o in outcomes for p in o.fetch.pages]
    tables = ("interventions", *CHILD_TABLES)
    frames = {t: [o.frames[t] for o in outcomes if o.status == "loaded" and not o.frames[t].empty]
              for t in tables}
    raw.write_batch(
        con, [("raw.rmt_fetches", fetches), ("raw.rmt_pages", pages),
              *((f"raw.rmt_{t}", pd.concat(f, ignore_index=True)) for t, f in frames.items() if f)],
        replace=[f"raw.rmt_{t}" for t in ("fetches", "pages", *tables)],
        key="fetch_id", keys=replace)


def _problem_json(problem: Problem) -> dict:
    value = problem.value
    return {"code": problem.code, "message": problem.message, "page": problem.sheet,
            "path": problem.cell,
            "value": value if isinstance(value, int | float | str | None) else str(value)}


def _archived_fetch(con: duckdb.DuckDBPyConnection, fetch_id: str) -> Fetch:
    """A recorded fetch rebuilt from the state and its archived pages."""
    route, origin, since, content = con.execute(
        "select route, origin, updated_since, content_sha256 from raw.rmt_fetches "
        "where fetch_id = ?", [fetch_id]).fetchall()[0]
    pages = [LandedPage(LandedFile(SOURCE, sha, name, size, received.isoformat(), path), page, url)
             for sha, name, size, received, path, page, url in con.execute(
                 "select sha256, original_name, size_bytes, received_at, archive_path, page, url "
                 "from raw.rmt_pages where fetch_id = ? order by original_name",
                 [fetch_id]).fetchall()]
    return Fetch(fetch_id, route, origin, pages, updated_since=since, content_sha256=content)


def release(con: duckdb.DuckDBPyConnection, fetch_id: str, run_id: str, gate=None,
            note: str | None = None) -> FetchOutcome:
    """Re-decide a quarantined fetch from its archived pages.

    With a gate, it is validated again (after a suite fix); without one, a statistician
    accepted its figures (`note` says why) and it loads as it is. Rejected fetches broke
    the contract and cannot be released: the source must send them again.
    """
    if not con.execute("select 1 from raw.rmt_fetches where fetch_id = ? and "
                       "status = 'quarantined'", [fetch_id]).fetchall():
        raise LookupError(f"no quarantined RMT fetch {fetch_id!r}; see `spf status`")
    outcome = decide(con, _archived_fetch(con, fetch_id), gate, redo={fetch_id},
                     accepted=None if gate is not None else note or "accepted after review")
    store(con, [outcome], run_id, replace={fetch_id})
    return outcome


def reprocess_archive(con: duckdb.DuckDBPyConnection, run_id: str, gate=None) -> RmtReport:
    """Decide every archived fetch again, in the order they were first decided (a backfill).

    Fetches that failed (the API stopped early) stay as they were: their pages are
    incomplete. Those a statistician accepted stay accepted. While a fetch is decided,
    the versions of fetches not yet redone do not count as loaded, so the result is the
    same as deciding them all afresh, and the same backfill twice gives the same state.
    """
    rows = con.execute("""
        select fetch_id, case when reason_code = 'accepted_after_review' then reason_message end
        from raw.rmt_fetches where status != 'failed'
        order by fetch_id""").fetchall()  # ids sort by the run that first decided them
    pending = {fetch_id for fetch_id, _ in rows}
    outcomes = []
    for fetch_id, accepted in rows:
        outcome = decide(con, _archived_fetch(con, fetch_id), gate, redo=pending,
                         accepted=accepted)
        store(con, [outcome], run_id, replace={fetch_id})
        pending.discard(fetch_id)
        outcomes.append(outcome)
    return RmtReport(outcomes)


# --- entry points ----------------------------------------------------------------------------

def ingest_fetches(con: duckdb.DuckDBPyConnection, fetches: list[Fetch], run_id: str,
                   gate: Callable[[dict[str, pd.DataFrame]], list[Problem]] | None = None
                   ) -> RmtReport:
    """Decide and store fetches in order; each sees the versions loaded by those before it."""
    outcomes = []
    for fetch in fetches:
        outcome = decide(con, fetch, gate)
        if outcome.status == "loaded" and fetch.route == "api" and not outcome.new_versions:
            # Nothing changed since the mark: its pages are archived, the state stays as it
            # is, so a quiet night does not rebuild the warehouse.
            outcome.status = "unchanged"
        else:
            store(con, [outcome], run_id)
        outcomes.append(outcome)
    return RmtReport(outcomes)


def ingest_rmt_exports(con: duckdb.DuckDBPyConnection, landing: Path, archive: Path,
                       run_id: str, gate=None) -> RmtReport:
    """Land and load every export folder under `landing` not decided before."""
    return ingest_fetches(con, export_fetches(landing, archive, run_id, decided_exports(con)),
                          run_id, gate)


def ingest_rmt_api(con: duckdb.DuckDBPyConnection, base_url: str, archive: Path, run_id: str,
                   fetch_pages: Callable[..., list], gate=None) -> RmtReport:
    """Fetch what changed since the high-water mark, archive every page, load all or nothing.

    `fetch_pages(base_url, updated_since)` returns the API's pages or raises
    `FetchFailed` carrying the pages received; those are archived and the failed fetch is
    recorded (nothing loaded, the mark unchanged), and the report's `error` says why.
    """
    from ingest.rmt_api import AuthFailed, BadPage, FetchFailed

    since = high_water_mark(con, base_url)
    failure, error = None, None
    try:
        received = fetch_pages(base_url, since)
    except BadPage as bad:  # the API answered, with a body that is not a page: bad input
        received, error = bad.pages, Problem("bad_page", str(bad), sheet=base_url)
    except FetchFailed as failed:  # the API did not answer well enough: the run fails
        received, failure = failed.pages, failed
        code = "auth_failed" if isinstance(failed, AuthFailed) else "fetch_failed"
        error = Problem(code, str(failed), sheet=base_url)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    pages = land_pages(archive, [(f"api/{stamp}/page-{p.page:04d}.json", p.body, p.page, p.url)
                                 for p in received])
    fetch = Fetch(f"{SOURCE}-{run_id}-api", "api", base_url, pages, updated_since=since,
                  error=error)
    report = ingest_fetches(con, [fetch], run_id, gate)
    report.error = str(failure) if failure else None
    return report


class RmtGate:
    """Validates a fetch's new rows with the `rmt__*` suites, one checkpoint per table.

    A blocking failure quarantines the whole fetch (all or nothing). Each date column also
    goes to the suites as its year (`<column>_year`), which GX compares reliably.
    """

    DATES = {"start_date": "start_year", "achieved_on": "achieved_year", "as_of": "as_of_year",
             "expected_date": "expected_year", "output_date": "output_year"}
    UNCHECKED = ("document", "thematic_areas", "branches", "partners")

    def __init__(self, gates, run_name: str):
        self.gates = gates
        self.run_name = run_name
        self.results = []

    def __call__(self, frames: dict[str, pd.DataFrame]) -> list[Problem]:
        batches = [(f"{SOURCE}__{table}", self._with_years(frame), VERSION_KEY)
                   for table, frame in frames.items() if not frame.empty]
        results = self.gates.validate_all(batches, self.run_name)
        self.results.extend(results)
        problems = []
        for result in results:
            for failure in result.failures:
                if failure.blocking:
                    ids = sorted({r["intervention_id"] for r in failure.rows
                                  if r.get("intervention_id")})
                    where = f"{', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}: " if ids \
                        else ""
                    problems.append(Problem("failed_expectation", f"{where}{failure.describe()}",
                                            sheet=result.suite.removeprefix(f"{SOURCE}__")))
        return problems

    def _with_years(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows as the suites see them: dates also as years, no lists or JSON documents.

        `updated_at` stays (as epoch microseconds) since it is part of every row's key.
        """
        frame = frame.assign(updated_at=frame.updated_at.astype("datetime64[us, UTC]")
                             .astype("int64"))
        for column, year in self.DATES.items():
            if column in frame.columns:
                frame[year] = pd.array([d.year if d is not None and d == d else None
                                        for d in frame[column]], dtype="Int64")
        return frame.drop(columns=[c for c in self.UNCHECKED if c in frame.columns])
