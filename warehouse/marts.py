"""The publication steps of a run: build the marts, gate them, publish them atomically.

A build is a new DuckDB file beside the published one (`Paths.build`); it becomes the
published warehouse only by the rename in `publish_marts`, after its gate passed.
"""

from __future__ import annotations

import duckdb

from expectations.gates import GateFailed, gates_for
from expectations.marts import validate_marts as validate
from ingest.paths import Paths
from warehouse import build, publish
from warehouse.runs import GateBlocked, RunFailed
from warehouse.summary import BuildSummary, GateSummary, Rejection, validations


def is_current(paths: Paths) -> bool:
    """True when the published warehouse was built from this state with this code."""
    info = publish.build_info(paths.warehouse)
    return bool(info) and paths.state_db.exists() and \
        info.get("state_version") == build.state_version(paths.state_db) and \
        info.get("code_version") == build.code_version()


def ensure_something_to_publish(paths: Paths, rejected: list[Rejection]) -> None:
    """Stop a run that would publish an empty warehouse, saying why (`rejected`: this run's)."""
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        accepted = con.execute("select (select count(*) from raw.ssi_submissions) + "
                               "(select count(*) from raw.rmt_interventions)").fetchone()[0]
    finally:
        con.close()
    if not accepted:
        reasons = "; ".join(f"{r['file']}: {r['reason']}" for r in rejected[:3])
        raise RunFailed("nothing to publish: no submission or project report has been accepted"
                        + (f" ({reasons})" if reasons else ""))


def build_marts(paths: Paths, run_id: str) -> BuildSummary:
    """Build a new warehouse file beside the published one: raw copy, then `dbt build`."""
    target = paths.build
    publish.discard(target)
    copied = build.copy_raw(paths.state_db, target)
    outcome = build.run_dbt(target, paths.logs, paths.dbt_target)
    if not outcome.success:
        publish.discard(target)
        raise RunFailed("dbt build failed: " + "; ".join(outcome.failures[:5]))
    publish.record_build(target, {
        "run_id": run_id, "state_version": build.state_version(paths.state_db),
        "code_version": build.code_version(), "raw_rows": copied, "dbt": outcome.counts,
        "storage_version": build.STORAGE_VERSION,
    })
    build.generate_docs(target, paths.logs, paths.dbt_target)
    return BuildSummary(build=str(target), raw_rows=copied, dbt=outcome.counts)


def validate_marts(paths: Paths, run_id: str) -> GateSummary:
    """Validate every mart of the build with its `marts__*` suites; a blocking failure
    discards the build and stops publication."""
    results = validate(gates_for(paths.gx_root, paths.docs), paths.build, f"{run_id}-marts")
    summary = GateSummary(validations=validations(results))
    if not all(r.passed for r in results):
        publish.discard(paths.build)
        raise GateBlocked(str(GateFailed(results)), summary)
    return summary


def publish_marts(paths: Paths) -> str:
    """Replace the published warehouse by the gated build, and its dbt documentation by the
    build's; return the published path."""
    publish.publish(paths.build, paths.warehouse)
    publish.replace_file(paths.dbt_target / "static_index.html", paths.dbt_docs / "index.html")
    return str(paths.warehouse)


def discard_build(paths: Paths) -> None:
    publish.discard(paths.build)
