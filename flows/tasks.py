"""The Prefect side of a run: each step of `warehouse/run/pipeline.py` as a task, the API fetch
with its retries, the RMT token from the environment or a Secret block, the artifact.

Tasks are named for what they do, after the functions they run. Only the task that talks
to the network declares retries.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE

from ingest import rmt_api
from ingest.paths import Paths
from ingest.redaction import Scrubber
from warehouse.review import submissions
from warehouse.run import pipeline, report, steps
from warehouse.shared.summary import RunSummary
from warehouse.site import place
from warehouse.sources.registry import SOURCES


def read_secret_block(name: str) -> str | None:
    """The text of Prefect Secret block `name`.

    The raw secret, not `Secret.get()`, which would turn a token that parses as JSON (a
    number, say) into something else.
    """
    from prefect.blocks.system import Secret  # only when the environment has no token

    value = Secret.load(name, _sync=True).value.get_secret_value()
    return value if isinstance(value, str) else None


def resolve_token() -> str:
    """Bearer token from $SPF_RMT_TOKEN, else from the Prefect Secret block named by
    $SPF_RMT_TOKEN_BLOCK (default "spf-rmt-token"); AuthFailed with instructions if neither."""
    token = rmt_api.token_from_environment()
    if token:
        return token
    name = rmt_api.block_name()
    try:
        token = (read_secret_block(name) or "").strip()
    except Exception as exc:
        reason = Scrubber()(str(exc))[:rmt_api.EXCERPT_CHARS]  # no user-info of a URL
        raise rmt_api.AuthFailed(
            f"No RMT API token: {rmt_api.TOKEN_ENV} is not set and the Prefect Secret block "
            f"{name!r} could not be read ({type(exc).__name__}: {reason}); "
            f"{rmt_api.token_help()}") from exc
    if not token:
        raise rmt_api.AuthFailed(
            f"No RMT API token: {rmt_api.TOKEN_ENV} is not set and the Prefect Secret block "
            f"{name!r} holds no text; {rmt_api.token_help()}")
    return token


def is_transient(task, task_run, state) -> bool:
    """Retry condition: retry a fetch only when trying again could help.

    Not when the token was refused, nor when the API answered in a way another try minutes
    later would repeat (a body that is not a page, a pagination loop, a redirect, a
    Retry-After longer than a run waits): `FetchFailed.transient` says which.
    """
    failure = state.result(raise_on_failure=False)
    return not isinstance(failure, rmt_api.FetchFailed) or failure.transient


@task(name="fetch_rmt_pages", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=is_transient)
def fetch_rmt_pages(base_url: str, updated_since: str | None) -> list:
    """The network part of a project-report load; HTTP errors are also retried inside."""
    return rmt_api.fetch_pages(base_url, resolve_token(), updated_since)


def report_run(paths: Paths, summary: RunSummary) -> str:
    """The summary page beside the Data Docs, and the same as a Prefect Markdown artifact."""
    page = pipeline.write_report(paths, summary)
    create_markdown_artifact(markdown=report.markdown(summary), key="spf-run-summary",
                             description="What this run loaded, rejected, validated, published")
    return page


def send_pending_events(timeout: float = 10) -> None:
    """Send the events Prefect still holds now, not at exit, so that its last words (a
    'Still processing items' warning) come before the command's own last line."""
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=timeout)


class ProgressArtifacts:
    """Shows the progress of long steps (ingest/progress.py) as Prefect progress artifacts."""

    def __init__(self) -> None:
        self.artifacts: dict[str, object] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        percent = round(100 * done / total, 1)
        if what not in self.artifacts:
            self.artifacts[what] = create_progress_artifact(
                progress=percent, key="spf-" + "-".join(what.split()), description=what)
        else:
            update_progress_artifact(self.artifacts[what], progress=percent)


TASKS = {step: task(step, name=step.__name__, cache_policy=NO_CACHE) for step in (
    *(step for source in SOURCES.values() for step in (source.ingest, source.reprocess)),
    steps.build_marts, steps.validate_marts, steps.publish_marts, place.write_site,
    submissions.review_submissions, report_run)}


def run_task(step, *args, **kwargs):
    """Run a step of the pipeline as its Prefect task (named after it, made the first time
    for a source registered later)."""
    if step not in TASKS:
        TASKS[step] = task(step, name=step.__name__, cache_policy=NO_CACHE)
    return TASKS[step](*args, **kwargs)


def token_for(rmt_url: str | None):
    """For a run handed to the warm worker: the RMT token this flow would use (from its
    environment or the Secret block), passed to the worker over its private socket."""
    def environment() -> dict[str, str]:
        return {rmt_api.TOKEN_ENV: resolve_token()} if rmt_url else {}
    return environment


def orchestration() -> pipeline.Orchestration:
    """Steps as tasks, the fetch with its retries, the report with its artifact, the run's
    logger; called inside a flow run."""
    return pipeline.Orchestration(run=run_task, fetch_pages=fetch_rmt_pages, report=report_run,
                                  log=get_run_logger())
