"""What operators and statisticians do with deliveries turned away: list them, release them."""

from __future__ import annotations

import duckdb

from expectations.gates import gates_for
from expectations.sources import SourceGate
from ingest import raw
from ingest.archive import ArchiveDamaged
from ingest.paths import Paths
from warehouse.shared.errors import RunFailed
from warehouse.shared.lock import new_run_id, writer_lock
from warehouse.sources.registry import SOURCES, owner


def status_rows(paths: Paths) -> tuple[list[str], list[tuple], str]:
    """Quarantined and rejected deliveries with their reasons, and where they were read from.

    The state is read when free; while a run holds it, the last published warehouse is.
    """
    if not paths.state_db.exists():
        raise RunFailed(f"nothing has been landed in {paths.home} yet")
    try:
        con = duckdb.connect(str(paths.state_db), read_only=True)
        origin, tables = "state", {s.name: f"raw.{s.decisions}" for s in SOURCES.values()}
    except duckdb.IOException:
        if not paths.warehouse.exists():
            raise RunFailed("a run is writing and nothing is published yet; "
                            "try again later") from None
        con = duckdb.connect(str(paths.warehouse), read_only=True)
        origin = "published warehouse (a run is in progress)"
        tables = {s.name: s.ops for s in SOURCES.values()}
    try:
        present = {f"{schema}.{table}" for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables()").fetchall()}
        turned_away = " union all ".join(
            source.turned_away.format(table=tables[source.name])
            for source in SOURCES.values() if tables[source.name] in present)
        cursor = con.execute(f"select * from ({turned_away}) order by processed_at, source, "
                             "file")
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
    source = owner(key)
    with writer_lock(paths):
        gate = None if accept else SourceGate(gates_for(paths.gx_root, paths.docs),
                                              source.suites, f"{run_id}-release")
        con = raw.connect_state(paths.state_db)
        try:
            outcome = source.release(con, key, run_id, paths.archive, gate, note).outcomes[0]
        except (LookupError, ArchiveDamaged) as error:
            raise RunFailed(str(error)) from None
        finally:
            con.close()
    return {"file": f"{outcome.name} ({key})" if source.owns(key) else outcome.name,
            "status": outcome.status, "reason": outcome.reason_message}
