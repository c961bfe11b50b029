"""The steps of a pipeline run, as plain functions the Prefect flows call one by one.

Each step takes the run's `Paths` and returns a small JSON-able summary, so
flows stay thin and every step can be tested without Prefect.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from expectations.gates import GateFailed, Gates, suite_names
from ingest import raw
from ingest.ssi import SourceGate, ingest_ssi
from warehouse import build, publish
from warehouse.paths import Paths

log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """A run stopped; the message is the one line an operator needs."""


class PipelineBusy(RunFailed):
    """Another run holds the writer lock."""


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


@contextlib.contextmanager
def writer_lock(paths: Paths, wait_seconds: float = 0) -> Iterator[None]:
    """Only one run writes the state and publishes at a time; others wait or stop."""
    paths.home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.lock))
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise PipelineBusy(
            f"another spf run is writing to {paths.home} (lock {paths.lock}); "
            "wait for it to finish or pass --wait") from None
    try:
        yield
    finally:
        lock.release()


def gates_for(paths: Paths) -> Gates:
    return Gates(paths.gx_root, paths.docs)


def ingest_ssi_step(paths: Paths, landing: Path, run_id: str) -> dict:
    """Land and load new SSI workbooks; rejected or quarantined ones are recorded, not fatal."""
    if not landing.is_dir():
        raise RunFailed(f"SSI landing folder {landing} does not exist")
    gate = SourceGate(gates_for(paths), run_name=f"{run_id}-ssi")
    con = raw.connect_state(paths.state_db)
    try:
        report = ingest_ssi(con, landing, paths.archive, run_id, gate=gate)
    finally:
        con.close()
    return {
        "source": "ssi",
        "landed": len(report.outcomes),
        "counts": report.counts(),
        "rejected": [{"file": o.landed.original_name, "status": o.status,
                      "reason_code": o.reason_code, "reason": o.reason_message}
                     for o in report.rejected()],
        "validations": [{"suite": r.suite, "passed": r.passed, "page": r.docs_page,
                         "warnings": [f.describe() for f in r.warnings]}
                        for r in gate.results],
    }


def is_current(paths: Paths) -> bool:
    """True when the published warehouse was built from this state with this code."""
    info = publish.build_info(paths.warehouse)
    return bool(info) and paths.state_db.exists() and \
        info.get("state_version") == build.state_version(paths.state_db) and \
        info.get("code_version") == build.code_version()


def ensure_something_to_publish(paths: Paths, ingested: dict) -> None:
    """Stop a run that would publish an empty warehouse, saying why."""
    import duckdb

    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        accepted = con.execute("select count(*) from raw.ssi_submissions").fetchone()[0]
    finally:
        con.close()
    if not accepted:
        reasons = "; ".join(f"{r['file']}: {r['reason']}" for r in ingested["rejected"][:3])
        raise RunFailed("nothing to publish: no submission has been accepted"
                        + (f" ({reasons})" if reasons else ""))


def build_step(paths: Paths, run_id: str) -> dict:
    """Build a new warehouse file beside the published one: raw copy, then `dbt build`."""
    target = build_file(paths, run_id)
    publish.discard(target)
    copied = build.copy_raw(paths.state_db, target)
    outcome = build.run_dbt(target, paths.logs)
    if not outcome.success:
        publish.discard(target)
        raise RunFailed("dbt build failed: " + "; ".join(outcome.failures[:5]))
    publish.record_build(target, {
        "run_id": run_id, "state_version": build.state_version(paths.state_db),
        "code_version": build.code_version(), "raw_rows": copied, "dbt": outcome.counts,
    })
    return {"build": str(target), "raw_rows": copied, "dbt": outcome.counts}


def build_file(paths: Paths, run_id: str) -> Path:
    """Builds sit beside the published file so that publication is a rename."""
    return paths.warehouse.with_name(f".{paths.warehouse.stem}.build-{run_id}.duckdb")


def gate_marts_step(paths: Paths, run_id: str) -> dict:
    """Validate every mart with its `marts__*` suite; a blocking failure stops publication."""
    import duckdb

    target = build_file(paths, run_id)
    gates = gates_for(paths)
    results = []
    con = duckdb.connect(str(target), read_only=True)
    try:
        for name in suite_names("marts__"):
            frame = con.execute(f"select * from marts.{name.removeprefix('marts__')}").df()
            results.append(gates.validate(name, frame, _mart_keys(frame),
                                          run_name=f"{run_id}-marts"))
    finally:
        con.close()
    summary = [{"suite": r.suite, "passed": r.passed, "page": r.docs_page,
                "failures": [f.describe() for f in r.failures]} for r in results]
    if not all(r.passed for r in results):
        publish.discard(target)
        raise RunFailed(str(GateFailed(results)))
    return {"validations": summary}


def _mart_keys(frame) -> list[str]:
    keys = ("country_iso3", "year", "series", "sex", "region", "function", "phase", "step")
    return [k for k in keys if k in frame.columns]


def publish_step(paths: Paths, run_id: str) -> dict:
    publish.publish(build_file(paths, run_id), paths.warehouse)
    return {"published": str(paths.warehouse)}


def discard_build(paths: Paths, run_id: str) -> None:
    publish.discard(build_file(paths, run_id))
