"""The nightly flow: land and load what is new, build the marts, gate them, publish."""

from __future__ import annotations

from prefect import flow

from flows.tasks import (
    ingest_project_reports,
    ingest_ssi_submissions,
    pipeline_run,
    rebuild_and_publish,
)
from warehouse import pipeline


@flow(name="spf-nightly", log_prints=True)
def nightly(landing: str | None = None, rmt_dir: str | None = None, rmt_url: str | None = None,
            warehouse: str | None = None) -> dict:
    """Load new SSI workbooks and project reports, then rebuild, gate and publish the marts.

    With no source given, the bundled sample data; with one, only the sources given. The
    warehouse defaults to $SPF_WAREHOUSE or data/spf.duckdb.
    """
    with pipeline_run(warehouse, "nightly") as (paths, run_id, summary):
        ssi_dir, rmt_folder, rmt_api = pipeline.sources(landing, rmt_dir, rmt_url)
        if ssi_dir:
            summary["ssi"] = ingest_ssi_submissions(paths, ssi_dir, run_id)
        if rmt_folder or rmt_api:
            summary["rmt"] = ingest_project_reports(paths, run_id, rmt_folder, rmt_api)
        rebuild_and_publish(paths, run_id, summary, force=False)
    return summary
