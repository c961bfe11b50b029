"""The Prefect tasks both parent flows are made of, and the run frame they share.

Tasks are named for what they do; each calls one tested function of
`warehouse/pipeline.py`. Only the task that talks to the network declares retries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from prefect import get_run_logger, task
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


@task(name="reprocess_archived_ssi_submissions", cache_policy=NO_CACHE)
def reprocess_archived_ssi_submissions(paths: Paths, run_id: str, scope: dict, reread: bool,
                                       landing: Path | None) -> dict:
    return pipeline.backfill_ssi_step(paths, run_id, scope, reread, landing)


@task(name="reprocess_archived_project_reports", cache_policy=NO_CACHE)
def reprocess_archived_project_reports(paths: Paths, run_id: str, reread: bool,
                                       rmt_dir: Path | None, rmt_url: str | None) -> dict:
    return pipeline.backfill_rmt_step(paths, run_id, reread, rmt_dir, rmt_url,
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


@contextlib.contextmanager
def pipeline_run(warehouse: str | None, kind: str) -> Iterator[tuple[Paths, str, dict]]:
    """One writer at a time, a summary that always gets reported, and a clear failure.

    Yields the run's paths, id and summary; the body fills the summary in.
    """
    logger = get_run_logger()
    paths = resolve(warehouse)
    run_id = pipeline.new_run_id()
    summary: dict = {"run_id": run_id, "kind": kind, "warehouse": str(paths.warehouse),
                     "published": False}
    try:
        with pipeline.writer_lock(paths):
            stale = pipeline.discard_stale_builds(paths)
            if stale:
                logger.warning("removed builds left by an interrupted run: %s", ", ".join(stale))
            yield paths, run_id, summary
            pipeline.fail_if_a_source_failed(summary)
    except Exception as error:
        summary["error"] = str(error)
        raise
    finally:
        summary["report"] = report_run(paths, summary)


def rebuild_and_publish(paths: Paths, run_id: str, summary: dict, force: bool) -> None:
    """Build, gate and publish the marts, unless nothing changed (and `force` is off)."""
    pipeline.ensure_something_to_publish(paths, summary)
    if not force and pipeline.is_current(paths):
        get_run_logger().info("nothing new since the last publication; warehouse unchanged")
        return
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
