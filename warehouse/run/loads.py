"""The load steps of a run, one per source and kind: what is new, or the archive again.

Each step opens the state, gates with the source's suites (`expectations/sources.py`),
calls its source's ingest (`ingest/ssi.py`, `ingest/rmt.py`) and returns the source's
part of the run summary. A delivery rejected or quarantined is recorded, never fatal.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from expectations.gates import gates_for
from expectations.sources import RMT, SSI, SourceGate, SourceSuites
from ingest import raw, rmt, ssi
from ingest.outcomes import Report
from ingest.paths import Paths
from warehouse.shared.errors import RunFailed
from warehouse.shared.summary import Scope, SourceSummary, source_summary

FetchPages = Callable[[str, str | None], list]  # (base_url, updated_since) -> API pages


def _load(paths: Paths, suites: SourceSuites, run_name: str,
          load: Callable[[duckdb.DuckDBPyConnection, SourceGate], Report]) -> SourceSummary:
    """Run `load` on the state with the source's gate; summarize what it decided."""
    gate = SourceGate(gates_for(paths.gx_root, paths.docs), suites, run_name)
    con = raw.connect_state(paths.state_db)
    try:
        report = load(con, gate)
    finally:
        con.close()
    return source_summary(suites.source, report, gate.results)


def _folder(path: Path | None, what: str) -> Path | None:
    if path is not None and not path.is_dir():
        raise RunFailed(f"{what} {path} does not exist")
    if path is not None and not os.access(path, os.R_OK | os.X_OK):
        raise RunFailed(f"{what} {path} cannot be read by this user")
    return path


def ingest_ssi(paths: Paths, run_id: str, landing: Path, settle_seconds: float = 0
               ) -> SourceSummary:
    """Land and load new SSI workbooks; record whatever else is in the landing folder.

    A file changed less than `settle_seconds` ago, or while it was read, is left for the
    next run."""
    _folder(landing, "SSI landing folder")
    return _load(paths, SSI, f"{run_id}-ssi", lambda con, gate: ssi.ingest_landing(
        con, landing, paths.archive, run_id, gate, settle_seconds))


def _new_rmt(con: duckdb.DuckDBPyConnection, paths: Paths, run_id: str, rmt_dir: Path | None,
             rmt_url: str | None, fetch_pages: FetchPages | None, gate: SourceGate) -> Report:
    if rmt_url:
        if fetch_pages is None:
            raise RunFailed("no way to fetch project reports from the API was given")
        return rmt.ingest_api(con, rmt_url, paths.archive, run_id, fetch_pages, gate)
    if rmt_dir is None:
        return Report([])
    return rmt.ingest_exports(con, rmt_dir, paths.archive, run_id, gate)


def ingest_rmt(paths: Paths, run_id: str, rmt_dir: Path | None = None,
               rmt_url: str | None = None, fetch_pages: FetchPages | None = None
               ) -> SourceSummary:
    """Load new project reports from an export folder or the API.

    `fetch_pages` fetches from the API (the flows pass their network task, which carries
    the retries). A fetch that fails for good is recorded, loads nothing and leaves the
    high-water mark where it was; the summary's `error` says why, and the run reports
    failure once the rest is published.
    """
    _folder(rmt_dir, "RMT export folder")
    return _load(paths, RMT, f"{run_id}-rmt", lambda con, gate: _new_rmt(
        con, paths, run_id, rmt_dir, rmt_url, fetch_pages, gate))


def reprocess_ssi(paths: Paths, run_id: str, scope: Scope, reread: bool,
                  landing: Path | None = None, settle_seconds: float = 0) -> SourceSummary:
    """Re-decide the archived SSI files of the scope (if `reread`), plus any new landing
    (where `settle_seconds` applies as in `ingest_ssi`)."""
    _folder(landing, "SSI landing folder")
    years = scope["years"]
    span = (years[0] or 1900, years[1] or 9999) if years else None

    def load(con: duckdb.DuckDBPyConnection, gate: SourceGate) -> Report:
        found = ssi.land(con, landing, paths.archive, settle_seconds) if landing else None
        return ssi.reprocess(con, run_id, paths.archive, found, span, scope["countries"],
                             reread, gate)

    return _load(paths, SSI, f"{run_id}-ssi-backfill", load)


def reprocess_rmt(paths: Paths, run_id: str, reread: bool, rmt_dir: Path | None = None,
                  rmt_url: str | None = None, fetch_pages: FetchPages | None = None
                  ) -> SourceSummary:
    """Re-decide every archived project-report fetch (if `reread`), then load what is new.

    A fetch loads whole or not at all, so years and countries do not narrow it.
    """
    _folder(rmt_dir, "RMT export folder")

    def load(con: duckdb.DuckDBPyConnection, gate: SourceGate) -> Report:
        redone = rmt.reprocess(con, run_id, paths.archive, gate) if reread else Report([])
        return redone + _new_rmt(con, paths, run_id, rmt_dir, rmt_url, fetch_pages, gate)

    return _load(paths, RMT, f"{run_id}-rmt-backfill", load)
