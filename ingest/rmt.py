"""RMT ingest: decide each fetch of project reports, load the new versions of interventions.

The same steps as SSI workbooks (`ingest/ssi.py`): land (`ingest/rmt_landing.py`), parse
(`ingest/rmt_contract.py`), decide, gate, store. What is particular to project reports:
a fetch loads all its pages or none; the API's high-water mark (the latest `updated_at`
loaded) moves only with a loaded fetch; and raw keeps every version of every
intervention (`ingest/rmt_versions.py`), the marts only the current one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest import raw, state
from ingest.archive import ArchiveDamaged, stored, verified
from ingest.outcomes import Outcome, Report, apply_gate
from ingest.problems import Problem
from ingest.redaction import Scrubber, public_url
from ingest.rmt_landing import (
    MAX_PAGE_BYTES,
    SOURCE,
    Fetch,
    FetchFailed,
    LandedPage,
    archived_fetch,
    export_fetches,
    land_pages,
)
from ingest.rmt_versions import TABLES, flatten, new_versions

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

Gate = Callable[[dict[str, "pd.DataFrame"]], Mapping[str, list[Problem]]]


@dataclass(kw_only=True)
class RmtOutcome(Outcome):
    """What became of one fetch."""

    fetch: Fetch
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # the new versions' rows
    items: int = 0
    new_versions: int = 0
    high_water_mark: datetime | None = None

    key = unit = property(lambda self: self.fetch.fetch_id)
    name = property(lambda self: self.fetch.origin)
    files = property(lambda self: len(self.fetch.pages))


PARALLEL_FROM = 4  # below this many pages, starting worker processes costs more than it saves


@dataclass(frozen=True)
class ParsedPage:
    """One valid page of a fetch: where it is in the chain, and its items' raw rows."""

    number: int
    next_page: int | None
    frames: dict[str, pd.DataFrame]


def _parse_one(job: tuple[LandedPage, str]) -> ParsedPage | list[Problem]:
    """Validate and flatten one archived page (in a worker process for a large fetch: the
    validated objects, most of a fetch's memory, never reach the run's process). A page
    with no archived body was too large to be read."""
    from ingest.rmt_contract import parse_page  # pydantic and numpy, when a page is read

    landed, fetch_id = job
    name = landed.file.original_name
    if landed.file.archive_path is None:
        return [Problem("page_too_large", f"the file is {landed.file.size_bytes or 0:,} bytes, "
                        f"more than the {MAX_PAGE_BYTES:,} (50 MiB) a page may have: it was "
                        "neither read nor archived; export pages of at most 500 interventions",
                        page=name)]
    result = parse_page(Path(landed.file.archive_path).read_bytes(), name)
    if isinstance(result, list):
        return result
    page, documents = result
    return ParsedPage(page.page, page.next_page,
                      flatten([(landed, page, documents)], fetch_id))


def parse(fetch: Fetch) -> tuple[list[ParsedPage], list[Problem]]:
    """Parse every page of a fetch, in worker processes when there are enough; problems
    include those of its landing (an export too large to land) and pages missing from the
    chain."""
    if fetch.problems:
        return [], list(fetch.problems)
    if not fetch.pages and fetch.route == "export":
        return [], [Problem("incomplete_fetch", "no page of the fetch was archived (an export "
                            "folder of too many page files is not read): send it again split "
                            "into smaller folders", origin=fetch.origin)]
    jobs = [(landed, fetch.fetch_id) for landed in fetch.pages]
    if len(jobs) < PARALLEL_FROM:
        results = [_parse_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, 8)) as pool:
            results = list(pool.map(_parse_one, jobs))
    parsed, problems = [], []
    for result in results:
        if isinstance(result, list):
            problems += result
        else:
            parsed.append(result)
    if problems or fetch.error:
        return parsed, ([fetch.error] if fetch.error else []) + problems
    numbers = sorted(page.number for page in parsed)
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(Problem("incomplete_fetch", f"pages {numbers} do not run from 1 without "
                                "a gap or a repeat; the fetch is incomplete", origin=fetch.origin))
    elif parsed and max(parsed, key=lambda p: p.number).next_page is not None:
        problems.append(Problem("incomplete_fetch", f"the last page ({numbers[-1]}) names a next "
                                "page; the fetch is incomplete", origin=fetch.origin))
    return parsed, problems


def fetch_frames(parsed: list[ParsedPage], fetch_id: str) -> dict[str, pd.DataFrame]:
    """The rows of a fetch's pages, in page order, one frame per raw table."""
    import pandas as pd

    if not parsed:
        return flatten([], fetch_id)
    frames = {}
    for table in TABLES:
        pages = [page.frames[table] for page in parsed]
        rows = [frame for frame in pages if len(frame)]
        if len(rows) <= 1:
            frames[table] = rows[0] if rows else pages[0]
            continue
        frame = pd.concat(rows, ignore_index=True)
        for column in frame.columns:  # a column all None on one page, numbers on another:
            if len({str(f[column].dtype) for f in rows}) > 1:  # typed as one pass types it
                frame[column] = pd.Series(frame[column].tolist(), index=frame.index)
        frames[table] = frame
    return frames


def decide(fetch: Fetch, problems: list[Problem], frames: dict[str, pd.DataFrame] | None,
           seen: tuple[list[tuple], set[tuple]]) -> RmtOutcome:
    """The fate of one parsed fetch, from its problems and the versions `seen` before."""
    if fetch.error:  # the API failed, or answered other than its contract: not bad data.
        # Its one line says what the API did; what the pages' contract check found of the
        # pages it sent before is beside the point until the API answers right.
        return RmtOutcome(fetch=fetch, status="failed", problems=[fetch.error])
    if problems or frames is None:
        return RmtOutcome(fetch=fetch, status="rejected", problems=problems)
    items = len(frames["interventions"])
    mark = frames["interventions"].updated_at.max() if items else None
    frames, problems = new_versions(frames, *seen)
    if problems:
        return RmtOutcome(fetch=fetch, status="rejected", problems=problems, items=items)
    return RmtOutcome(fetch=fetch, status="loaded", frames=frames, items=items,
                      new_versions=len(frames["interventions"]),
                      high_water_mark=None if mark is None else mark.to_pydatetime())


def store(con: duckdb.DuckDBPyConnection, outcomes: list[RmtOutcome], run_id: str,
          replace: set[str] = frozenset()) -> None:
    """Write the fetches, their pages and the rows of loaded ones in one transaction.

    Rows of the fetches in `replace` are removed first (a fetch decided again).
    """
    import pandas as pd

    now = datetime.now(UTC)
    fetches = [{
        "fetch_id": o.fetch.fetch_id, "route": o.fetch.route, "origin": o.fetch.origin,
        "updated_since": o.fetch.updated_since, "content_sha256": o.fetch.content_sha256,
        "status": o.status, "reason_code": o.reason_code, "reason_message": o.reason_message,
        "problems": json.dumps([p.to_json() for p in o.problems]) if o.problems else None,
        "pages": len(o.fetch.pages), "items": o.items, "new_versions": o.new_versions,
        "high_water_mark": o.high_water_mark, "run_id": run_id, "processed_at": now,
    } for o in outcomes]
    pages = [{
        "sha256": p.file.sha256, "original_name": p.file.original_name,
        "fetch_id": o.fetch.fetch_id, "page": p.page, "url": p.url,
        "size_bytes": p.file.size_bytes, "received_at": p.file.received_at,
        "archive_path": stored(p.file.archive_path), "status": o.status,
    } for o in outcomes for p in o.fetch.pages]
    frames = {t: [o.frames[t] for o in outcomes if o.status == "loaded" and not o.frames[t].empty]
              for t in TABLES}
    raw.write_batch(
        con, [("raw.rmt_fetches", fetches), ("raw.rmt_pages", pages),
              *((f"raw.rmt_{t}", f[0] if len(f) == 1 else pd.concat(f, ignore_index=True))
                for t, f in frames.items() if f)],
        replace=[f"raw.rmt_{t}" for t in ("fetches", "pages", *TABLES)],
        key="fetch_id", keys=replace)


def ingest(con: duckdb.DuckDBPyConnection, fetches: list[Fetch], run_id: str,
           gate: Gate | None = None, redo: set[str] = frozenset(),
           accepted: Mapping[str, str] | None = None) -> Report:
    """Decide, gate and store fetches in order; each sees the versions loaded before it.

    `redo` holds ids of fetches decided before (a release, a backfill): their rows do not
    count as loaded, and those of them in `fetches` are replaced. `accepted` maps the ids
    of fetches a statistician accepted despite the gate to their reason.
    """
    accepted = accepted or {}
    outcomes = []
    for fetch in fetches:
        parsed, problems = parse(fetch)
        frames = None if problems else fetch_frames(parsed, fetch.fetch_id)
        seen = state.rmt_seen_versions(con, frames["interventions"], redo) \
            if frames is not None and not frames["interventions"].empty else ([], set())
        outcome = decide(fetch, problems, frames, seen)
        gated = gate is not None and outcome.new_versions and fetch.fetch_id not in accepted
        apply_gate([outcome], gate(outcome.frames) if gated else {}, accepted)
        if outcome.status == "loaded" and fetch.route == "api" and not outcome.new_versions:
            # Nothing changed since the mark: its pages are archived, the state stays as it
            # is, so a quiet night does not rebuild the warehouse.
            outcome.status = "unchanged"
        else:
            store(con, [outcome], run_id, replace=redo & {fetch.fetch_id})
        outcomes.append(outcome)
    return Report(outcomes)


def ingest_exports(con: duckdb.DuckDBPyConnection, landing: Path, archive: Path, run_id: str,
                   gate: Gate | None = None) -> Report:
    """Land and load every export folder under `landing` not decided before."""
    fetches = export_fetches(landing, archive, run_id, state.rmt_decided_exports(con))
    return ingest(con, fetches, run_id, gate)


def ingest_api(con: duckdb.DuckDBPyConnection, base_url: str, archive: Path, run_id: str,
               fetch_pages: Callable[..., list], gate: Gate | None = None) -> Report:
    """Fetch what changed since the high-water mark, archive every page, load all or nothing.

    `fetch_pages(base_url, updated_since)` returns the API's pages or raises
    `FetchFailed` carrying the pages received; those are archived and the failed fetch is
    recorded with the failure's code (nothing loaded, the mark unchanged), and the report's
    `error` says why, so the run fails once the rest is published. An answer other than the
    contract (a body that is not a page, pages that do not fit together) is the API failing
    too, not bad data: the RMT's maintainers must fix the API, not a project report.

    The API is recorded and shown without the user-info of `base_url` (which goes to
    `fetch_pages` alone), and its credentials are scrubbed from the failure's message.
    """
    origin, scrub = public_url(base_url), Scrubber(url=base_url)
    since = state.rmt_high_water_mark(con, origin)
    failure, error = None, None
    try:
        received = fetch_pages(base_url, since)
    except FetchFailed as failed:
        received, failure = failed.pages, scrub(str(failed))
        error = Problem(failed.code, failure, origin=origin)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    pages = land_pages(archive, [(f"api/{stamp}/page-{p.page:04d}.json", p.body, p.page,
                                  p.url and public_url(p.url)) for p in received])
    fetch = Fetch(f"{SOURCE}-{run_id}-api", "api", origin, pages, updated_since=since,
                  error=error)
    report = ingest(con, [fetch], run_id, gate)
    report.error = failure
    return report


def _archived(con: duckdb.DuckDBPyConnection, fetch_id: str, archive: Path) -> Fetch:
    """A recorded fetch read again from `archive`, every page checked against its hash
    (ArchiveDamaged names the first that is not as it was landed)."""
    fetch = archived_fetch(fetch_id, *state.rmt_fetch(con, fetch_id, archive))
    for landed in fetch.pages:
        if landed.file.archive_path is not None:  # else too large to land: parse says so
            verified(archive, landed.file.archive_path, landed.file.sha256,
                     f"{landed.file.original_name} of {fetch_id}")
    return fetch


def release(con: duckdb.DuckDBPyConnection, fetch_id: str, run_id: str, archive: Path,
            gate: Gate | None = None, note: str | None = None) -> Report:
    """Re-decide a quarantined fetch from its archived pages.

    With a gate, it is validated again (after a suite fix); without one, a statistician
    accepted its figures (`note` says why) and it loads as it is. Rejected fetches broke
    the contract and cannot be released: the source must send them again. A page whose
    archived bytes changed stops the release (ArchiveDamaged).
    """
    if not state.rmt_is_quarantined(con, fetch_id):
        raise LookupError(f"no quarantined RMT fetch {fetch_id!r}; see `spf status`")
    accepted = {} if gate is not None else {fetch_id: note or "accepted after review"}
    report = ingest(con, [_archived(con, fetch_id, archive)], run_id, gate, redo={fetch_id},
                    accepted=accepted)
    report.reread = {fetch_id}
    return report


def reprocess(con: duckdb.DuckDBPyConnection, run_id: str, archive: Path,
              gate: Gate | None = None) -> Report:
    """Decide every archived fetch again, in the order they were first decided (a backfill).

    Fetches that failed (the API stopped early) stay as they were: their pages are
    incomplete. Those a statistician accepted stay accepted. While a fetch is decided,
    the versions of fetches not yet redone do not count as loaded, so the result is the
    same as deciding them all afresh, and the same backfill twice gives the same state.
    A fetch with a page whose archived bytes changed keeps its decision (`Report.damaged`).
    """
    decided = state.rmt_decided(con)
    pending = {fetch_id for fetch_id, _ in decided}
    report = Report([])
    for fetch_id, accepted in decided:
        try:
            fetch = _archived(con, fetch_id, archive)
        except ArchiveDamaged as damaged:
            report.damaged.append(str(damaged))
            pending.discard(fetch_id)
            continue
        report += ingest(con, [fetch], run_id, gate, redo=set(pending),
                         accepted={fetch_id: accepted} if accepted else None)
        report.reread.add(fetch_id)
        pending.discard(fetch_id)
    return report
