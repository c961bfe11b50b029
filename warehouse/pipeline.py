"""The steps of a pipeline run, as plain functions the Prefect flows call one by one.

Each step takes the run's `Paths` and returns a small JSON-able summary, so
flows stay thin and every step can be tested without Prefect.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from expectations.gates import GateFailed, Gates, load_suite, suite_names
from ingest import raw, rmt
from ingest.ssi import SourceGate, ingest_ssi
from warehouse import build, publish
from warehouse.paths import SAMPLE_RMT_DIR, SAMPLE_SSI_DIR, Paths

log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """A run stopped; the message is the one line an operator needs."""


class PipelineBusy(RunFailed):
    """Another run holds the writer lock."""


class GateBlocked(RunFailed):
    """A blocking expectation failed on the marts; `summary` lists every validation."""

    def __init__(self, message: str, summary: dict):
        super().__init__(message)
        self.summary = summary


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


def discard_stale_builds(paths: Paths) -> list[str]:
    """Remove builds left by runs that were killed; only ever unpublished files."""
    stale = sorted(paths.warehouse.parent.glob(f".{paths.warehouse.stem}.build*.duckdb*"))
    for path in stale:
        path.unlink(missing_ok=True)
    return [p.name for p in stale]


STATUS_SQL = """
    select * from (
        select 'ssi' as source, original_name as file, status, reason_code,
               reason_message as reason, left(sha256, 12) as id, processed_at
        from {ssi} where status in ('quarantined', 'rejected')
        union all
        select 'rmt', origin, status, reason_code, reason_message, fetch_id, processed_at
        from {rmt} where status in ('quarantined', 'rejected', 'failed')
    )
    order by processed_at, source, file
"""


def status_rows(paths: Paths) -> tuple[list[str], list[tuple], str]:
    """Quarantined and rejected deliveries with their reasons, and where they were read from.

    The state is read when free; while a run holds it, the last published warehouse is.
    """
    import duckdb

    if not paths.state_db.exists():
        raise RunFailed(f"nothing has been landed in {paths.home} yet")
    try:
        con = duckdb.connect(str(paths.state_db), read_only=True)
        origin, tables = "state", {"ssi": "raw.ssi_files", "rmt": "raw.rmt_fetches"}
    except duckdb.IOException:
        if not paths.warehouse.exists():
            raise RunFailed("a run is writing and nothing is published yet; "
                            "try again later") from None
        con = duckdb.connect(str(paths.warehouse), read_only=True)
        origin = "published warehouse (a run is in progress)"
        tables = {"ssi": "ops.submissions", "rmt": "ops.rmt_fetches"}
    try:
        cursor = con.execute(STATUS_SQL.format(**tables))
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall(), origin
    finally:
        con.close()


def release_step(paths: Paths, key: str, accept: bool, note: str | None) -> dict:
    """Re-decide a quarantined SSI file or RMT fetch from the archive; the next run publishes.

    `key` is a file name or sha256 prefix (SSI) or a fetch id (`rmt-...`), as `spf status`
    shows them.
    """
    from ingest import ssi

    run_id = new_run_id()
    is_fetch = key.startswith(f"{rmt.SOURCE}-")
    with writer_lock(paths):
        gate = None if accept else (rmt.RmtGate if is_fetch else SourceGate)(
            gates_for(paths), run_name=f"{run_id}-release")
        con = raw.connect_state(paths.state_db)
        try:
            if is_fetch:
                outcome = rmt.release(con, key, run_id, gate=gate, note=note)
                return {"file": f"{outcome.fetch.origin} ({key})", "status": outcome.status,
                        "reason": outcome.reason_message}
            outcome = ssi.release(con, key, run_id, gate=gate, note=note).outcomes[0]
            return {"file": outcome.landed.original_name, "status": outcome.status,
                    "reason": outcome.reason_message}
        except LookupError as error:
            raise RunFailed(str(error)) from None
        finally:
            con.close()


@functools.lru_cache(maxsize=4)
def gates_for(paths: Paths) -> Gates:
    """One Great Expectations context per installation and process (it takes seconds)."""
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
    return _ssi_summary(report, gate)


def _ssi_summary(report, gate: SourceGate) -> dict:
    return {
        "source": "ssi",
        "landed": len(report.outcomes),
        "counts": report.counts(),
        "rejected": [{"file": o.landed.original_name, "status": o.status,
                      "reason_code": o.reason_code, "reason": o.reason_message}
                     for o in report.rejected()],
        "validations": _validations(gate),
    }


def _validations(gate) -> list[dict]:
    return [{"suite": r.suite, "passed": r.passed, "page": r.docs_page,
             "warnings": [f.describe() for f in r.warnings]} for r in gate.results]


def sources(landing: str | None, rmt_dir: str | None, rmt_url: str | None
            ) -> tuple[Path | None, Path | None, str | None]:
    """Where this run reads each source from; only a run given none reads the bundled sample.

    A run pointed at one source (say a production landing folder) must not mix the
    sample of the other into its warehouse.
    """
    if not (landing or rmt_dir or rmt_url):
        return SAMPLE_SSI_DIR, SAMPLE_RMT_DIR, None
    return (Path(landing) if landing else None, Path(rmt_dir) if rmt_dir else None,
            rmt_url or None)


def ingest_rmt_step(paths: Paths, run_id: str, rmt_dir: Path | None = None,
                    rmt_url: str | None = None, fetch_pages=None) -> dict:
    """Load new project reports from an export folder or the API; never fatal by itself.

    `fetch_pages(base_url, updated_since)` fetches from the API (the flow passes its
    network task, which carries the retries). A fetch that fails for good is recorded,
    loads nothing and leaves the high-water mark where it was; the summary's `error` says
    why, and the run reports failure once the rest is published.
    """
    gate = rmt.RmtGate(gates_for(paths), run_name=f"{run_id}-rmt")
    con = raw.connect_state(paths.state_db)
    try:
        report = _load_new_rmt(con, paths, run_id, rmt_dir, rmt_url, fetch_pages, gate)
    finally:
        con.close()
    return _rmt_summary(report, gate)


def _load_new_rmt(con, paths: Paths, run_id: str, rmt_dir: Path | None, rmt_url: str | None,
                  fetch_pages, gate) -> rmt.RmtReport:
    if rmt_url:
        return rmt.ingest_rmt_api(con, rmt_url, paths.archive, run_id,
                                  fetch_pages or fetch_rmt_pages, gate=gate)
    if rmt_dir is None:
        return rmt.RmtReport([])
    if not rmt_dir.is_dir():
        raise RunFailed(f"RMT export folder {rmt_dir} does not exist")
    return rmt.ingest_rmt_exports(con, rmt_dir, paths.archive, run_id, gate=gate)


def _rmt_summary(report: rmt.RmtReport, gate: rmt.RmtGate) -> dict:
    summary = {
        "source": "rmt",
        "landed": sum(len(o.fetch.pages) for o in report.outcomes),
        "fetches": len(report.outcomes),
        "new_versions": report.new_versions,
        "counts": report.counts(),
        "rejected": [{"file": o.fetch.origin, "status": o.status, "reason_code": o.reason_code,
                      "reason": o.reason_message} for o in report.rejected()],
        "validations": _validations(gate),
    }
    if report.error:
        summary["error"] = report.error
    return summary


def backfill_scope(years_from: int | None, years_to: int | None, countries: list[str] | None,
                   sources: list[str]) -> dict:
    """Check and normalise a backfill's scope; an operator's mistake stops it before any work."""
    unknown = sorted(set(sources) - {"ssi", rmt.SOURCE})
    if unknown or not sources:
        raise RunFailed(f"unknown source(s) {unknown or sources}: use ssi, rmt or both")
    if years_from is not None and years_to is not None and years_from > years_to:
        raise RunFailed(f"years from {years_from} to {years_to}: the range is empty")
    from ingest.reference import COUNTRY_CODES

    codes = sorted({c.strip().upper() for c in countries or [] if c.strip()})
    wrong = [c for c in codes if c not in COUNTRY_CODES]
    if wrong:
        raise RunFailed(f"not ISO 3166-1 alpha-3 country codes: {', '.join(wrong)}")
    return {"years": [years_from, years_to] if years_from or years_to else None,
            "countries": codes or None, "sources": sorted(set(sources))}


def backfill_ssi_step(paths: Paths, run_id: str, scope: dict, reread: bool,
                      landing: Path | None = None) -> dict:
    """Re-decide the archived SSI files of the scope (if `reread`), plus any new landing."""
    from ingest.ssi import backfill_ssi, land_ssi

    if landing is not None and not landing.is_dir():
        raise RunFailed(f"SSI landing folder {landing} does not exist")
    gate = SourceGate(gates_for(paths), run_name=f"{run_id}-ssi-backfill")
    con = raw.connect_state(paths.state_db)
    try:
        landed = land_ssi(con, landing, paths.archive) if landing is not None else []
        years = scope["years"]
        report = backfill_ssi(con, run_id, landed,
                              (years[0] or 1900, years[1] or 9999) if years else None,
                              scope["countries"], reread, gate=gate)
    finally:
        con.close()
    return _ssi_summary(report, gate)


def backfill_rmt_step(paths: Paths, run_id: str, reread: bool, rmt_dir: Path | None = None,
                      rmt_url: str | None = None, fetch_pages=None) -> dict:
    """Re-decide every archived project-report fetch (if `reread`), then load what is new.

    A fetch loads whole or not at all, so years and countries do not narrow it.
    """
    gate = rmt.RmtGate(gates_for(paths), run_name=f"{run_id}-rmt-backfill")
    con = raw.connect_state(paths.state_db)
    try:
        redone = rmt.reprocess_archive(con, run_id, gate=gate) if reread else rmt.RmtReport([])
        new = _load_new_rmt(con, paths, run_id, rmt_dir, rmt_url, fetch_pages, gate)
    finally:
        con.close()
    return _rmt_summary(rmt.RmtReport(redone.outcomes + new.outcomes, new.error), gate)


def fetch_rmt_pages(base_url: str, updated_since: str | None) -> list:
    """Every page changed since `updated_since`, with the token from the environment."""
    from ingest import rmt_api

    return rmt_api.fetch_pages(base_url, rmt_api.resolve_token(), updated_since)


def is_transient(task, task_run, state) -> bool:
    """Prefect retry condition: retry a fetch unless the token or a body was at fault."""
    from ingest.rmt_api import AuthFailed, BadPage

    return not isinstance(state.result(raise_on_failure=False), AuthFailed | BadPage)


def fail_if_a_source_failed(summary: dict) -> None:
    """After publishing the rest, fail the run when a fetch from the API failed for good."""
    error = summary.get("rmt", {}).get("error")
    if error:
        raise RunFailed(f"project reports not loaded: {error} (the rest of the run was "
                        "published; the next run fetches them again)")


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
        accepted = con.execute("select (select count(*) from raw.ssi_submissions) + "
                               "(select count(*) from raw.rmt_interventions)").fetchone()[0]
    finally:
        con.close()
    if not accepted:
        rejected = [r for source in ("ssi", "rmt") for r in ingested.get(source, {}).get(
            "rejected", [])]
        reasons = "; ".join(f"{r['file']}: {r['reason']}" for r in rejected[:3])
        raise RunFailed("nothing to publish: no submission or project report has been accepted"
                        + (f" ({reasons})" if reasons else ""))


def build_step(paths: Paths, run_id: str) -> dict:
    """Build a new warehouse file beside the published one: raw copy, then `dbt build`."""
    target = build_file(paths, run_id)
    publish.discard(target)
    copied = build.copy_raw(paths.state_db, target)
    outcome = build.run_dbt(target, paths.logs, paths.dbt_target)
    if not outcome.success:
        publish.discard(target)
        raise RunFailed("dbt build failed: " + "; ".join(outcome.failures[:5]))
    publish.record_build(target, {
        "run_id": run_id, "state_version": build.state_version(paths.state_db),
        "code_version": build.code_version(), "raw_rows": copied, "dbt": outcome.counts,
    })
    return {"build": str(target), "raw_rows": copied, "dbt": outcome.counts}


def build_file(paths: Paths, run_id: str) -> Path:
    """Builds sit beside the published file so that publication is a rename.

    The name is the same for every run of a warehouse (one writer at a time), so dbt's
    profile does not change between runs and dbt can reuse its partial parse.
    """
    return paths.warehouse.with_name(f".{paths.warehouse.stem}.build.duckdb")


def gate_marts_step(paths: Paths, run_id: str) -> dict:
    """Validate every mart with its `marts__*` suites; a blocking failure stops publication.

    A suite validates the mart it is named after, or the rows of its `meta.query` when it
    checks relations between rows (e.g. sex splits against totals).
    """
    import duckdb

    target = build_file(paths, run_id)
    batches = []
    con = duckdb.connect(str(target), read_only=True)
    try:
        for name in suite_names("marts__"):
            sql = load_suite(name).get("meta", {}).get("query") or \
                f"select * from marts.{name.removeprefix('marts__')}"
            frame = con.execute(sql).df()
            batches.append((name, frame, _mart_keys(frame)))
    finally:
        con.close()
    results = gates_for(paths).validate_all(batches, run_name=f"{run_id}-marts")
    summary = {"validations": [{"suite": r.suite, "passed": r.passed, "page": r.docs_page,
                                "failures": [f.describe() for f in r.failures]}
                               for r in results]}
    if not all(r.passed for r in results):
        publish.discard(target)
        raise GateBlocked(str(GateFailed(results)), summary)
    return summary


def _mart_keys(frame) -> list[str]:
    keys = ("country_iso3", "year", "series", "sex", "region", "function", "phase", "step",
            "change_id", "outcome_id", "impact_category", "partner", "branch")
    return [k for k in keys if k in frame.columns]


def publish_step(paths: Paths, run_id: str) -> dict:
    publish.publish(build_file(paths, run_id), paths.warehouse)
    return {"published": str(paths.warehouse)}


def discard_build(paths: Paths, run_id: str) -> None:
    publish.discard(build_file(paths, run_id))


def report_step(paths: Paths, summary: dict) -> dict:
    """Write the run's summary page beside the Data Docs; return its path and Markdown."""
    from warehouse import report

    page = report.write_html(summary, paths.docs)
    return {"page": str(page), "markdown": report.markdown(summary)}
