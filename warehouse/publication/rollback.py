"""`spf rollback`: publish a kept publication again, atomically, under the writer lock."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any, TypedDict

from ingest.paths import Paths
from warehouse.publication import publish
from warehouse.publication.kept import keep_publication, prune, resolve_publication
from warehouse.publication.records import HistoryError, latest_publication, record_publication
from warehouse.shared.lock import writer_lock


class Rollback(TypedDict):
    publication_id: str  # the new publication (kind rollback)
    restores: str  # the one published again
    note: str
    run_id: str
    warehouse: str
    kept: str
    then: Any  # what `then` returned (the site of the publication restored)


def rollback(paths: Paths, publication_id: str, note: str, run_id: str,
             keep: int | None = None, then: Callable[[Paths], Any] | None = None
             ) -> Rollback:
    """Publish a kept earlier publication again, atomically, under the writer lock.

    Its file is copied to the build path beside the published warehouse, given its
    `ops.publications` row (kind rollback, the operator's `note`, the history of the
    warehouse it replaces), then published by the same checkpoint, fsync and rename as a
    run. The state and the archive are not touched: the next run rebuilds from the state
    as usual. A rollback killed before the rename leaves the published warehouse as it was
    (the build is the only file written; the next run or rollback discards it).
    `then(paths)` runs under the lock once the publication is kept: what a room above
    writes from the publication in place (the CLI passes the programme's pages).
    """
    if not (note or "").strip():
        raise HistoryError("a rollback needs a note saying why (kept in ops.publications)")
    with writer_lock(paths):
        source = resolve_publication(paths, publication_id)
        restored = latest_publication(source)
        if restored is None:
            raise HistoryError(f"{source} has no ops.publications")
        current = latest_publication(paths.warehouse) if paths.warehouse.exists() else None
        if current and current["publication_id"] == restored["publication_id"]:
            raise HistoryError(f"{restored['publication_id']} is the published warehouse "
                               "already")
        publish.discard(paths.build)
        try:
            shutil.copyfile(source, paths.build)  # a copy: a link would write the kept file
            pid = record_publication(paths.build, paths.warehouse, run_id, "rollback",
                                     note.strip(), restored["reporting_date"],
                                     restores=restored["publication_id"],
                                     kept=paths.publications)
            publish.publish(paths.build, paths.warehouse)
        finally:
            publish.discard(paths.build)
        kept = keep_publication(paths, pid)
        prune(paths, keep)
        after = then(paths) if then else None
    return Rollback(publication_id=pid, restores=restored["publication_id"], note=note.strip(),
                    run_id=run_id, warehouse=str(paths.warehouse), kept=str(kept), then=after)
