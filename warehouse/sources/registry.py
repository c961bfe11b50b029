"""What a source is, in one place: everything the rest of the warehouse asks of one.

A source (SSI workbooks, RMT project reports, a third one tomorrow) is a `Source`: its name
(the prefix of its raw tables, its dbt source and its gate's suites), how people call it,
the run options that say where it is read from, its load steps (what is new; the archive
again), its raw tables and the columns of each a build may copy (an allow-list), the table
whose decisions move with every batch, its gate, its dbt selector, its ops table, what a
publication rests on, its deliveries turned away and how one is released. The runs, the
build, the run summary and its page, quarantine, the publications' records, the command
line and the flows read `SOURCES` instead of naming `ssi` and `rmt`; adding a source is
registering one (README, "Adding a source").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from expectations.gates import gates_for
from expectations.sources import SourceGate, SourceSuites
from ingest import raw
from ingest.outcomes import Report
from ingest.paths import Paths
from warehouse.shared.errors import RunFailed
from warehouse.shared.summary import Scope, SourceSummary, source_summary

FetchPages = Callable[[str, str | None], list]  # (base_url, updated_since) -> API pages
Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Inputs:
    """Where a run reads its sources from: the options it was given (option -> value, None
    when not given), the settle time of landing folders, and the API client (the flows pass
    their network task, with its retries)."""

    given: Mapping[str, object] = field(default_factory=dict)
    settle_seconds: float = 0.0
    fetch_pages: FetchPages | None = None

    def get(self, option: str):
        return self.given.get(option)


@dataclass(frozen=True)
class Source:
    """Everything the warehouse needs to know of one source."""

    name: str  # ssi: raw tables raw.ssi_*, dbt source `ssi`, suites ssi__*
    label: str  # "SSI": how its line of a run summary starts
    title: str  # "SSI workbooks": its section of a run's page
    unit: str  # what its deliveries land as: "file(s)", "page(s)"
    options: tuple[str, ...]  # the run options naming where it is read from
    sample: Mapping[str, Path]  # those options for a run given no source: the bundled sample
    ingest: Callable[[Paths, str, Inputs], SourceSummary]  # the nightly step: what is new
    reprocess: Callable[[Paths, str, Scope, bool, Inputs], SourceSummary]  # a backfill's step
    published: Mapping[str, tuple[str, ...]]  # raw table -> the columns a build copies
    decisions: str  # its raw table whose processed_at moves with every batch it stores
    suites: SourceSuites  # its gate (expectations/sources.py)
    ops: str  # the published table listing its deliveries, e.g. ops.submissions
    turned_away: str  # SQL over its decisions table ({table}) or its ops table: source,
    # file, status, reason_code, reason, id, processed_at of every delivery not loaded
    accepted: str  # SQL counting what it has accepted in the state (0: nothing to publish)
    built_from: tuple[str, str]  # a column of ops.publications, and the SQL of its list
    release: Callable[[Connection, str, str, Path, SourceGate | None, str | None], Report] \
        | None = None  # (con, key, run_id, archive, gate, note): a quarantined one again
    owns: Callable[[str], bool] = lambda key: False  # whether a release key names one of its
    selector: str | None = None  # dbt nodes built when it changed; default source:<name>+
    reporting_date: bool = False  # its marts depend on the reporting date
    dated: str | None = None  # SQL: is any of its results dated in ($1, $2]?
    summary: Callable[[Report], dict] = lambda report: {}  # what its summary adds
    reviewed: bool = False  # its deliveries are reviewed one by one by statisticians
    failures: tuple[type[Exception], ...] = ()  # how it fails for good, expectedly (one line)
    failed: str = ""  # what a run that failed to get it says first ("project reports not
    # loaded"), when its summary has an `error`

    @property
    def dbt_selector(self) -> str | None:
        return self.selector if self.selector is not None else f"source:{self.name}+"

    def is_given(self, inputs: Inputs) -> bool:
        return any(inputs.get(option) for option in self.options)


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add a source (in the order the runs take them); the same name twice replaces it."""
    SOURCES[source.name] = source
    return source


def unregister(name: str) -> None:
    SOURCES.pop(name, None)


def names() -> list[str]:
    return list(SOURCES)


def nightly_inputs(given: Mapping[str, object], settle_seconds: float = 0.0,
                   fetch_pages: FetchPages | None = None) -> Inputs:
    """The options given; a run given none reads the bundled sample of every source.

    A run pointed at one source (say a production landing folder) must not mix the sample
    of the others into its warehouse.
    """
    if not any(given.values()):
        given = {option: path for source in SOURCES.values()
                 for option, path in source.sample.items()}
    return Inputs(dict(given), settle_seconds, fetch_pages)


def owner(key: str) -> Source:
    """The source whose delivery a release key names (a fetch id's prefix, else a file)."""
    for source in SOURCES.values():
        if source.owns(key):
            return source
    fallback = [s for s in SOURCES.values() if s.release is not None]
    return fallback[0]


# --- what the load steps of every source share --------------------------------------------

def load(paths: Paths, suites: SourceSuites, run_name: str,
         step: Callable[[Connection, SourceGate], Report]) -> SourceSummary:
    """Run a source's `step` on the state with its gate; summarize what it decided."""
    gate = SourceGate(gates_for(paths.gx_root, paths.docs), suites, run_name)
    con = raw.connect_state(paths.state_db)
    try:
        report = step(con, gate)
    finally:
        con.close()
    source = SOURCES[suites.source]
    return source_summary(suites.source, report, gate.results, source.summary(report))


def folder(path, what: str) -> Path | None:
    """A folder a run reads, checked: it exists and can be read."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_dir():
        raise RunFailed(f"{what} {path} does not exist")
    if not os.access(path, os.R_OK | os.X_OK):
        raise RunFailed(f"{what} {path} cannot be read by this user")
    return path
