"""The Results Monitoring Tool as a source: project reports from its API or from export
folders (`ingest/rmt.py`), gated by the `rmt__*` suites a whole fetch at a time, and
reported as of the reporting date."""

from __future__ import annotations

import duckdb

from expectations.sources import RMT as SUITES
from expectations.sources import SourceGate
from ingest import rmt
from ingest.outcomes import Report
from ingest.paths import SAMPLE_RMT_DIR, Paths
from ingest.rmt_landing import FetchFailed
from warehouse.shared.errors import RunFailed
from warehouse.shared.summary import Scope, SourceSummary
from warehouse.sources.registry import Inputs, Source, folder, load, register

_VERSION = ("intervention_id", "updated_at")


def _new(con: duckdb.DuckDBPyConnection, paths: Paths, run_id: str, inputs: Inputs,
         gate: SourceGate) -> Report:
    """What the API (option `rmt_url`) or the export folder (`rmt_dir`) brings."""
    url, exports = inputs.get("rmt_url"), folder(inputs.get("rmt_dir"), "RMT export folder")
    if url:
        if inputs.fetch_pages is None:
            raise RunFailed("no way to fetch project reports from the API was given")
        return rmt.ingest_api(con, url, paths.archive, run_id, inputs.fetch_pages, gate)
    if exports is None:
        return Report([])
    return rmt.ingest_exports(con, exports, paths.archive, run_id, gate)


def ingest_rmt(paths: Paths, run_id: str, inputs: Inputs) -> SourceSummary:
    """Load new project reports from an export folder or the API.

    A fetch that fails for good is recorded, loads nothing and leaves the high-water mark
    where it was; the summary's `error` says why, and the run reports failure once the
    rest is published.
    """
    folder(inputs.get("rmt_dir"), "RMT export folder")
    return load(paths, SUITES, f"{run_id}-rmt",
                lambda con, gate: _new(con, paths, run_id, inputs, gate))


def reprocess_rmt(paths: Paths, run_id: str, scope: Scope, reread: bool, inputs: Inputs
                  ) -> SourceSummary:
    """Re-decide every archived project-report fetch (if `reread`), then load what is new.

    A fetch loads whole or not at all, so years and countries do not narrow it.
    """
    folder(inputs.get("rmt_dir"), "RMT export folder")

    def step(con: duckdb.DuckDBPyConnection, gate: SourceGate) -> Report:
        redone = rmt.reprocess(con, run_id, paths.archive, gate) if reread else Report([])
        return redone + _new(con, paths, run_id, inputs, gate)

    return load(paths, SUITES, f"{run_id}-rmt-backfill", step)


def fetch_with_environment_token(base_url: str, updated_since: str | None) -> list:
    """The API's pages with the token of $SPF_RMT_TOKEN: a run without a Prefect server has
    no Secret block to read it from."""
    from ingest import rmt_api  # the HTTP client (requests), for a run that calls the API

    token = rmt_api.token_from_environment()
    if not token:
        raise rmt_api.AuthFailed(f"No RMT API token: {rmt_api.TOKEN_ENV} is not set (a run "
                                 "without a Prefect server reads it from the environment only)")
    return rmt_api.fetch_pages(base_url, token, updated_since)


def _summary(report: Report) -> dict:
    """Fetches decided (API calls and export folders) and intervention versions loaded."""
    return {"fetches": len(report.outcomes),
            "new_versions": sum(o.new_versions for o in report.outcomes)}


RMT = register(Source(
    name="rmt", label="RMT", title="Project reports (RMT)", unit="page(s)",
    options=("rmt_dir", "rmt_url"), sample={"rmt_dir": SAMPLE_RMT_DIR},
    ingest=ingest_rmt, reprocess=reprocess_rmt,
    published={
        "rmt_fetches": ("fetch_id", "route", "origin", "updated_since", "status",
                        "reason_code", "reason_message", "problems", "pages", "items",
                        "new_versions", "high_water_mark", "run_id", "processed_at"),
        "rmt_pages": ("sha256", "original_name", "fetch_id", "page", "size_bytes",
                      "received_at", "status"),
        "rmt_interventions": (*_VERSION, "fetch_id", "page_sha256", "deleted", "title",
                              "country_iso3", "level", "flagship", "thematic_areas",
                              "start_date", "end_date"),
        "rmt_funding": (*_VERSION, "page_sha256", "position", "partner", "year",
                        "amount_usd"),
        "rmt_institutional_changes": (*_VERSION, "page_sha256", "change_id", "step", "title",
                                      "status", "achieved_on", "branches", "partners"),
        "rmt_outcomes": (*_VERSION, "page_sha256", "outcome_id", "outcome_type", "branch",
                         "expected_persons", "expected_date"),
        "rmt_impact_snapshots": (*_VERSION, "page_sha256", "outcome_id", "as_of", "persons",
                                 "women", "men"),
        "rmt_outputs": (*_VERSION, "page_sha256", "position", "output_type", "output_date",
                        "count", "title"),
    },
    decisions="rmt_fetches", suites=SUITES, ops="ops.rmt_fetches",
    turned_away="""
        select 'rmt' as source, origin as file, status, reason_code,
               reason_message as reason, fetch_id as id, processed_at
        from {table} where status in ('quarantined', 'rejected', 'failed')""",
    accepted="select count(*) from raw.rmt_interventions",
    built_from=("fetches", "select coalesce(list(distinct fetch_id order by fetch_id), []) "
                           "from raw.rmt_fetches where status = 'loaded'"),
    release=rmt.release, owns=lambda key: key.startswith(f"{rmt.SOURCE}-"),
    reporting_date=True,
    dated="""
        select exists (select 1 from raw.rmt_impact_snapshots where as_of > $1 and as_of <= $2)
            or exists (select 1 from raw.rmt_institutional_changes
                       where achieved_on > $1 and achieved_on <= $2)""",
    summary=_summary, failures=(FetchFailed,), failed="project reports not loaded",
))
