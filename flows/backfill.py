"""The backfill flow: re-decide archived deliveries of a scope, rebuild, gate and publish."""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect import flow, get_run_logger

from flows.nightly import PREFECT_RUN_LOGGERS
from flows.tasks import ProgressArtifacts, orchestration, token_for
from ingest import progress
from warehouse.run import pipeline, worker
from warehouse.sources.registry import names

pipeline.without_expected_tracebacks(*PREFECT_RUN_LOGGERS)  # as the nightly flow does
SourceName = Literal[tuple(names())]  # the registered sources (warehouse/sources/)


@flow(name="spf-backfill", log_prints=True)
def backfill(years_from: int | None = None, years_to: int | None = None,
             countries: list[str] | None = None,
             sources: list[SourceName] | None = None,
             reread: bool = True, landing: str | None = None, rmt_dir: str | None = None,
             rmt_url: str | None = None, warehouse: str | None = None,
             settle_seconds: float | None = None, reporting_date: date | None = None,
             population: str | None = None, keep_publications: int | None = None) -> dict:
    """Re-process archived SSI submissions (reference years from/to, countries) and project
    reports from the archive, plus anything new in the given sources, then rebuild, gate and
    publish the marts as a nightly run does, even when nothing changed.

    `sources` defaults to every registered source. `reread` false keeps every earlier
    decision and only rebuilds (after a method change). Project reports are re-read fetch
    by fetch, whatever the years and countries. `settle_seconds`, `reporting_date`, `population` and
    `keep_publications` are as in the nightly flow.
    """
    parameters = dict(warehouse=warehouse, years_from=years_from, years_to=years_to,
                      countries=countries, sources=sources, reread=reread, landing=landing,
                      rmt_dir=rmt_dir, rmt_url=rmt_url, settle_seconds=settle_seconds,
                      reporting_date=reporting_date, population=population,
                      keep_publications=keep_publications)

    def cold() -> dict:
        with progress.reporting(ProgressArtifacts()):
            return pipeline.backfill(how=orchestration(), **parameters)

    return worker.run("backfill", parameters, cold, get_run_logger(),
                      environment=token_for(rmt_url))
