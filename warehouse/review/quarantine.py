"""What operators and statisticians do with deliveries turned away: list them, release them."""

from __future__ import annotations

import duckdb

from expectations.gates import gates_for
from expectations.sources import RMT, SSI, SourceGate
from ingest import raw, rmt, ssi
from ingest.archive import ArchiveDamaged
from ingest.paths import Paths
from warehouse.shared.errors import RunFailed
from warehouse.shared.lock import new_run_id, writer_lock

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


def release(paths: Paths, key: str, accept: bool, note: str | None) -> dict[str, str | None]:
    """Re-decide a quarantined SSI file or RMT fetch from the archive; the next run publishes.

    `key` is a file name or sha256 prefix (SSI) or a fetch id (`rmt-...`), as `spf status`
    shows them. Without `accept`, it is validated again; with it, it loads as it is, with
    the statistician's `note`.
    """
    run_id = new_run_id()
    is_fetch = key.startswith(f"{rmt.SOURCE}-")
    source, suites = (rmt, RMT) if is_fetch else (ssi, SSI)
    with writer_lock(paths):
        gate = None if accept else SourceGate(gates_for(paths.gx_root, paths.docs), suites,
                                              f"{run_id}-release")
        con = raw.connect_state(paths.state_db)
        try:
            outcome = source.release(con, key, run_id, paths.archive, gate=gate,
                                     note=note).outcomes[0]
        except (LookupError, ArchiveDamaged) as error:
            raise RunFailed(str(error)) from None
        finally:
            con.close()
    return {"file": f"{outcome.name} ({key})" if is_fetch else outcome.name,
            "status": outcome.status, "reason": outcome.reason_message}
