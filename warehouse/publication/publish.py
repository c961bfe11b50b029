"""Atomic publication: a gated build replaces the published warehouse in one rename.

Readers that already have the old file open keep reading it consistently; new
readers open the new one. The published file is never written in place, so a
killed run cannot leave it half-written or with a stray WAL.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED = 0o644  # what analysts open: readable by all, written only by the pipeline


def record_build(build_db: Path, info: dict) -> None:
    """Write `ops.build_info` (one row) into the build: what it was built from, and when."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute("create schema if not exists ops")
        con.execute("create or replace table ops.build_info (key varchar, value varchar)")
        rows = {**info, "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
        con.executemany("insert into ops.build_info values (?, ?)",
                        [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in rows.items()])
    finally:
        con.close()


def build_info(warehouse: Path) -> dict[str, str]:
    """The `ops.build_info` of a published warehouse; empty if there is none."""
    if not warehouse.exists():
        return {}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return {}
    try:
        return dict(con.execute("select key, value from ops.build_info").fetchall())
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(build_db: Path, warehouse: Path) -> None:
    """Replace `warehouse` by `build_db` atomically; `build_db` must be fully built and gated."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    wal = Path(f"{build_db}.wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after checkpoint; not publishing")
    if build_db.parent != warehouse.parent:
        raise ValueError("a build must sit beside the warehouse it replaces (same filesystem)")
    _fsync(build_db)
    os.chmod(build_db, PUBLISHED)
    os.replace(build_db, warehouse)
    _fsync(warehouse.parent)


def replace_file(source: Path, target: Path) -> None:
    """Copy `source` over `target` in one rename, readable by all (a page analysts open)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.chmod(partial, PUBLISHED)
    os.replace(partial, target)


def discard(build_db: Path) -> None:
    """Remove an unpublished build (never the published warehouse)."""
    for path in (build_db, Path(f"{build_db}.wal")):
        path.unlink(missing_ok=True)
