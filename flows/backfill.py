"""The backfill flow: re-decide archived deliveries of a scope, rebuild, gate and publish."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from prefect import flow

from flows.tasks import (
    pipeline_run,
    rebuild_and_publish,
    reprocess_archived_project_reports,
    reprocess_archived_ssi_submissions,
)
from warehouse import pipeline


@flow(name="spf-backfill", log_prints=True)
def backfill(years_from: int | None = None, years_to: int | None = None,
             countries: list[str] | None = None,
             sources: list[Literal["ssi", "rmt"]] | None = None,
             reread: bool = True, landing: str | None = None, rmt_dir: str | None = None,
             rmt_url: str | None = None, warehouse: str | None = None) -> dict:
    """Re-process archived SSI submissions (reference years from/to, countries) and project
    reports from the archive, plus anything new in the given sources, then rebuild, gate and
    publish the marts as a nightly run does, even when nothing changed.

    `sources` defaults to both. `reread` false keeps every earlier decision and only
    rebuilds (after a method change). Project reports are re-read fetch by fetch, whatever
    the years and countries.
    """
    with pipeline_run(warehouse, "backfill") as (paths, run_id, summary):
        scope = pipeline.backfill_scope(years_from, years_to, countries,
                                        list(sources or ("ssi", "rmt")))
        summary["scope"] = {**scope, "reread": reread}
        if "ssi" in scope["sources"]:
            summary["ssi"] = reprocess_archived_ssi_submissions(
                paths, run_id, scope, reread, Path(landing) if landing else None)
        if "rmt" in scope["sources"]:
            summary["rmt"] = reprocess_archived_project_reports(
                paths, run_id, reread, Path(rmt_dir) if rmt_dir else None, rmt_url)
        rebuild_and_publish(paths, run_id, summary, force=True)
    return summary
