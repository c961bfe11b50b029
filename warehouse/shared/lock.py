"""One writer at a time: the lock a run, a release or a rollback holds on the home, the id
of each run, and the builds a killed run left behind."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

from filelock import FileLock, Timeout

from ingest.paths import Paths
from warehouse.shared.errors import PipelineBusy


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


@contextlib.contextmanager
def writer_lock(paths: Paths) -> Iterator[None]:
    """Only one run writes the state and publishes at a time; another stops at once."""
    paths.home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.lock))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise PipelineBusy(f"another spf run is writing to {paths.home} (lock {paths.lock}); "
                           "try again when it has finished") from None
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
