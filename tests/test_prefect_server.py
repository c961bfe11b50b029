"""The deployments of prefect.yaml on a real Prefect server, worker and scheduler.

The other flow tests run in-process on a test harness; this module runs the stack an operator
runs: `prefect server start` on loopback (with its own PREFECT_HOME), the `spf` process work
pool, `prefect --no-prompt deploy --all` from the repository root, and `prefect worker start`.
It then triggers the `backfill` deployment with parameters through the API, waits for the
worker to run it in a subprocess with a clean environment, and checks the published marts and
the run's Markdown artifact. It also checks that the server's scheduler creates the nightly
deployment's runs at 02:00 UTC (SQLAlchemy 2.1 silently breaks that; manual runs still work).

It is slow (about a minute): the server needs about 10 s to become healthy, the flow run
itself about 30 s (a worker subprocess, dbt, Great Expectations), and the processes are
stopped properly at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from conftest import query

from ingest.paths import REPO_ROOT

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

PREFECT = Path(sys.executable).with_name("prefect")
SAMPLES = REPO_ROOT / "ingest" / "samples"
NIGHTLY, BACKFILL = "spf-nightly/nightly", "spf-backfill/backfill"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 80) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no output)"
    return "\n".join(text.splitlines()[-lines:])


def stop(process: subprocess.Popen, first: int = signal.SIGINT, grace: float = 15) -> None:
    """Stop a process and its whole group (uvicorn, flow-run subprocesses): `first`, then
    SIGKILL after `grace` seconds."""
    if process.poll() is None:
        with_group(process, first)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    with_group(process, signal.SIGKILL)  # whatever is left of the group
    process.wait(timeout=10)


def with_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


@dataclass
class Stack:
    """A Prefect server on loopback and what the test started against it."""

    root: Path
    url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    deploy_output: str = ""
    scheduled: list = field(default_factory=list)  # the nightly runs the scheduler created

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def start(self, name: str, *args: str, cwd: Path, **extra_env: str) -> subprocess.Popen:
        with self.log(name).open("wb") as out:
            process = subprocess.Popen([str(PREFECT), *args], cwd=cwd, stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env={**self.env, **extra_env}, start_new_session=True)
        self.processes[name] = process
        return process

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(PREFECT), *args], cwd=REPO_ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)

    @contextlib.contextmanager
    def client(self) -> Iterator[SyncPrefectClient]:
        """A synchronous Prefect client on this server (the test process's own settings
        may point elsewhere, e.g. at the session's test harness)."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: self.url}):
            with get_client(sync_client=True) as client:
                yield client


def clean_environment(home: Path, url: str) -> dict[str, str]:
    """The test process's environment without its Prefect and pipeline settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "SPF_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_API_URL=url,
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Server, work pool and deployments; the nightly schedule observed, then paused; a worker.

    The nightly deployment is paused once its scheduled runs are recorded, so that a worker
    running near 02:00 UTC cannot start a real nightly run on the repository's data/.
    """
    root = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    stack = Stack(root, url, clean_environment(root / "prefect-home", url))
    try:
        server = stack.start("server", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port), "--analytics-off", cwd=root)
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"server exited:\n{tail(stack.log('server'))}"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (
                f"server not healthy after 60 s:\n{tail(stack.log('server'))}")
            time.sleep(0.25)
        print(f"\nPrefect server healthy at {url} after {60 - (deadline - time.monotonic()):.1f} s")

        pool = stack.cli("work-pool", "create", "spf", "--type", "process")
        assert pool.returncode == 0, pool.stdout + pool.stderr
        deploy = stack.cli("--no-prompt", "deploy", "--all")
        stack.deploy_output = deploy.stdout + deploy.stderr
        assert deploy.returncode == 0, stack.deploy_output

        stack.scheduled = wait_for_scheduled_nightly_runs(stack, timeout=60)
        with stack.client() as client:
            client.pause_deployment(client.read_deployment_by_name(NIGHTLY).id)

        stack.start("worker", "worker", "start", "--pool", "spf", cwd=REPO_ROOT,
                    PREFECT_WORKER_QUERY_SECONDS="2", PREFECT_WORKER_PREFETCH_SECONDS="2")
        yield stack
    finally:
        for name in ("worker", "server"):  # the worker first, while its server still answers
            if name in stack.processes:
                started = time.monotonic()
                stop(stack.processes[name])
                print(f"{name} stopped in {time.monotonic() - started:.1f} s")


def wait_for_scheduled_nightly_runs(stack: Stack, timeout: float) -> list:
    """The nightly deployment's SCHEDULED runs, once the server's scheduler has made some."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + timeout
    with stack.client() as client:
        nightly = client.read_deployment_by_name(NIGHTLY)
        only_scheduled = FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[nightly.id]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])))
        while True:
            runs = client.read_flow_runs(flow_run_filter=only_scheduled)
            if runs or time.monotonic() > deadline:
                return runs
            time.sleep(0.5)


@pytest.fixture(scope="module")
def backfill_run(stack, tmp_path_factory):
    """The backfill deployment run by the worker into a fresh warehouse folder."""
    warehouse = tmp_path_factory.mktemp("backfill") / "wh" / "spf.duckdb"
    parameters = {"warehouse": str(warehouse), "landing": str(SAMPLES / "ssi"),
                  "rmt_dir": str(SAMPLES / "rmt"), "years_from": 2019, "years_to": 2022,
                  "countries": ["KHM", "LAO"]}
    started = time.monotonic()
    with stack.client() as client:
        deployment = client.read_deployment_by_name(BACKFILL)
        run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        deadline = time.monotonic() + 300
        while not (run.state and run.state.is_final()) and time.monotonic() < deadline:
            assert stack.processes["worker"].poll() is None, (
                f"worker exited:\n{tail(stack.log('worker'))}")
            time.sleep(1)
            run = client.read_flow_run(run.id)
    print(f"backfill flow run {run.name}: {run.state and run.state.type.value} "
          f"after {time.monotonic() - started:.1f} s")
    return run, warehouse, parameters


def test_prefect_deploy_creates_both_deployments_of_prefect_yaml(stack):
    assert "error" not in stack.deploy_output.lower(), stack.deploy_output
    assert "traceback" not in stack.deploy_output.lower(), stack.deploy_output
    with stack.client() as client:
        nightly = client.read_deployment_by_name(NIGHTLY)
        backfill = client.read_deployment_by_name(BACKFILL)
    assert (nightly.entrypoint, backfill.entrypoint) == (
        "flows/nightly.py:nightly", "flows/backfill.py:backfill")
    assert nightly.work_pool_name == backfill.work_pool_name == "spf"
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in nightly.schedules] == [
        ("0 2 * * *", "UTC", True)]
    assert backfill.schedules == []
    assert backfill.parameters == {"reread": True}


def test_the_scheduler_creates_the_nightly_runs_at_two_utc(stack):
    runs = stack.scheduled
    assert runs, ("the server's scheduler created no run of the nightly deployment within "
                  f"60 s of `prefect deploy`:\n{tail(stack.log('server'))}")
    now = dt.datetime.now(dt.UTC)
    starts = sorted(r.expected_start_time.astimezone(dt.UTC) for r in runs)
    assert all(s > now - dt.timedelta(minutes=5) for s in starts), starts
    assert all((s.hour, s.minute, s.second, s.microsecond) == (2, 0, 0, 0) for s in starts), starts
    assert len({s.date() for s in starts}) == len(starts), starts  # one a day
    assert all(r.auto_scheduled for r in runs)


def test_the_worker_runs_the_backfill_deployment_with_its_parameters(stack, backfill_run):
    run, _, parameters = backfill_run
    assert run.state is not None and run.state.is_completed(), (
        f"backfill ended {run.state!r}\n--- worker output ---\n{tail(stack.log('worker'))}")
    # The run's parameters: those given, merged with the deployment's defaults.
    assert run.parameters == {**parameters, "reread": True}


def test_the_backfill_published_the_marts_in_a_fresh_home(backfill_run):
    run, warehouse, _ = backfill_run
    assert run.state is not None and run.state.is_completed(), run.state
    home = warehouse.parent  # SPF_HOME unset: the warehouse's folder
    assert (home / "state" / "spf_state.duckdb").is_file()
    assert any((home / "archive" / "ssi").rglob("*.xlsx"))
    assert not list(home.glob("*.wal"))

    assert query(warehouse, "select country_iso3, count(*) > 0 from marts.coverage_sdg131 "
                 "where country_iso3 in ('KHM', 'LAO') group by all order by all") == [
        ("KHM", True), ("LAO", True)]
    assert query(warehouse, "select count(*) from marts.results_phase_progress") == [(6,)]
    assert query(warehouse, "select step, achieved_countries from marts.results_phase_progress "
                 "where phase = 1 order by step") == [(1, 10), (2, 13), (3, 16)]
    # Every sample submission decided by this one run.
    assert query(warehouse, "select count(*) > 0, count(distinct run_id) "
                 "from ops.submissions") == [(True, 1)]


def test_the_backfill_run_left_its_summary_as_a_markdown_artifact(stack, backfill_run):
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    run, warehouse, _ = backfill_run
    with stack.client() as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["spf-run-summary"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    assert len(artifacts) == 1, artifacts
    assert artifacts[0].type == "markdown"
    assert "backfill" in artifacts[0].data
