"""The nightly flow: land and load what is new, build the marts, gate them, publish."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger

from flows.tasks import ProgressArtifacts, orchestration, token_for
from ingest import progress
from warehouse.run import pipeline, worker

# An expected failure (warehouse/shared/errors.py RunFailed) is logged in one line; a bug keeps its
# traceback. These are the loggers Prefect's engine logs a failed flow run and task run to.
PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
pipeline.without_expected_tracebacks(*PREFECT_RUN_LOGGERS)


@flow(name="spf-nightly", log_prints=True)
def nightly(landing: str | None = None, rmt_dir: str | None = None, rmt_url: str | None = None,
            warehouse: str | None = None, settle_seconds: float | None = None,
            reporting_date: date | None = None, population: str | None = None,
            keep_publications: int | None = None) -> dict:
    """Load new SSI workbooks and project reports, then rebuild, gate and publish the marts.

    With no source given, the bundled sample data; with one, only the sources given. The
    warehouse defaults to $SPF_WAREHOUSE or data/spf.duckdb. A file of the landing folder
    changed less than `settle_seconds` ago (default $SPF_SETTLE_SECONDS, else none) is left
    for the next run, as is one that changes while it is landed. Results are reported as
    of `reporting_date` (default today); regional shares are weighed by the official
    `population` file given (default: the one in the home's `population/` folder, else the
    bundled World Bank seed). The last `keep_publications` publications stay in the home
    (default $SPF_KEEP_PUBLICATIONS, else 14).
    """
    parameters = dict(warehouse=warehouse, landing=landing, rmt_dir=rmt_dir, rmt_url=rmt_url,
                      settle_seconds=settle_seconds, reporting_date=reporting_date,
                      population=population, keep_publications=keep_publications)

    def cold() -> dict:
        with progress.reporting(ProgressArtifacts()):
            return pipeline.nightly(how=orchestration(), **parameters)

    return worker.run("nightly", parameters, cold, get_run_logger(),
                      environment=token_for(rmt_url))
