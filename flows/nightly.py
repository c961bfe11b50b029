"""The nightly flow: land and load what is new, build the marts, gate them, publish."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from warehouse import pipeline
from warehouse.paths import Paths, resolve


@task(name="ingest_ssi_submissions", cache_policy=NO_CACHE)
def ingest_ssi_submissions(paths: Paths, landing: Path, run_id: str) -> dict:
    return pipeline.ingest_ssi_step(paths, landing, run_id)


@task(name="fetch_project_reports_from_api", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=[10, 60], retry_condition_fn=pipeline.is_transient)
def fetch_project_reports_from_api(base_url: str, updated_since: str | None) -> list:
    """The network part of a project-report load; HTTP errors are also retried inside."""
    return pipeline.fetch_rmt_pages(base_url, updated_since)


@task(name="ingest_project_reports", cache_policy=NO_CACHE)
def ingest_project_reports(paths: Paths, run_id: str, rmt_dir: Path | None,
                           rmt_url: str | None) -> dict:
    return pipeline.ingest_rmt_step(paths, run_id, rmt_dir, rmt_url,
                                    fetch_pages=fetch_project_reports_from_api)


@task(name="build_marts", cache_policy=NO_CACHE)
def build_marts(paths: Paths, run_id: str) -> dict:
    return pipeline.build_step(paths, run_id)


@task(name="validate_marts", cache_policy=NO_CACHE)
def validate_marts(paths: Paths, run_id: str) -> dict:
    return pipeline.gate_marts_step(paths, run_id)


@task(name="publish_warehouse", cache_policy=NO_CACHE)
def publish_warehouse(paths: Paths, run_id: str) -> dict:
    return pipeline.publish_step(paths, run_id)


@task(name="report_run", cache_policy=NO_CACHE)
def report_run(paths: Paths, summary: dict) -> str:
    """Summary page beside the Data Docs, and the same as a Prefect Markdown artifact."""
    written = pipeline.report_step(paths, summary)
    create_markdown_artifact(markdown=written["markdown"], key="spf-run-summary",
                             description="What this run loaded, rejected, validated, published")
    return written["page"]


@flow(name="spf-nightly", log_prints=True)
def nightly(landing: str | None = None, rmt_dir: str | None = None, rmt_url: str | None = None,
            warehouse: str | None = None) -> dict:
    """Load new SSI workbooks and project reports, then rebuild, gate and publish the marts.

    With no source given, the bundled sample data; with one, only the sources given. The
    warehouse defaults to $SPF_WAREHOUSE or data/spf.duckdb.
    """
    logger = get_run_logger()
    paths = resolve(warehouse)
    run_id = pipeline.new_run_id()
    summary: dict = {"run_id": run_id, "warehouse": str(paths.warehouse), "published": False}
    try:
        with pipeline.writer_lock(paths):
            stale = pipeline.discard_stale_builds(paths)
            if stale:
                logger.warning("removed builds left by an interrupted run: %s", ", ".join(stale))
            ssi_dir, rmt_folder, rmt_api = pipeline.sources(landing, rmt_dir, rmt_url)
            if ssi_dir:
                summary["ssi"] = ingest_ssi_submissions(paths, ssi_dir, run_id)
            if rmt_folder or rmt_api:
                summary["rmt"] = ingest_project_reports(paths, run_id, rmt_folder, rmt_api)
            pipeline.ensure_something_to_publish(paths, summary)
            if pipeline.is_current(paths):
                logger.info("nothing new since the last publication; warehouse unchanged")
            else:
                try:
                    summary["build"] = build_marts(paths, run_id)
                    summary["marts_gate"] = validate_marts(paths, run_id)
                    summary.update(publish_warehouse(paths, run_id))
                    summary["published"] = True
                except pipeline.GateBlocked as blocked:
                    summary["marts_gate"] = blocked.summary
                    raise
                finally:
                    pipeline.discard_build(paths, run_id)
            pipeline.fail_if_a_source_failed(summary)
        return summary
    except Exception as error:
        summary["error"] = str(error)
        raise
    finally:
        summary["report"] = report_run(paths, summary)
