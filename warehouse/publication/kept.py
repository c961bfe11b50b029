"""The last publications, kept read-only in the home: keep, prune, list, find one.

The last N publications (default 14, `$SPF_KEEP_PUBLICATIONS`) stay in the home as
read-only files, `publications/<id>.duckdb`, which `spf query --as-of`, `spf diff` and
`spf rollback` read. Kept files are hard links to the published file when the home and
the warehouse share a filesystem (no copy, no space): a published file is never written in
place, only replaced by a rename, so the old inode, still linked from `publications/`,
keeps the old content. Both names then have mode 0444, the published warehouse too (it is
one inode); the next publication renames a new file over it as before. Where the home is
on another filesystem, or links are refused, the file is copied.

In a run, after the marts gate passed (warehouse/run/steps.py):

    pid = record_publication(paths.build, paths.warehouse, ...)  # records.py
    publish.publish(paths.build, paths.warehouse)                 # the rename
    after_publication(paths, pid)                                 # keep, compare, prune
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb

from ingest.paths import Paths
from warehouse.publication.changes import summarize
from warehouse.publication.records import (
    HistoryError,
    Publication,
    fsync,
    history,
    kept_files,
    latest_publication,
    publication_id,
    sequence_of,
)
from warehouse.shared.summary import PublicationChanges

KEEP_ENV = "SPF_KEEP_PUBLICATIONS"


DEFAULT_KEEP = 14


KEPT = 0o444  # kept publications are never written again




def keep_count(given: int | None = None) -> int:
    """How many publications to keep: `given`, else $SPF_KEEP_PUBLICATIONS, else 14."""
    if given is None:
        text = os.environ.get(KEEP_ENV, "").strip()
        if not text:
            return DEFAULT_KEEP
        try:
            given = int(text)
        except ValueError:
            raise HistoryError(f"${KEEP_ENV} is {text!r}: expected a whole number of "
                               "publications to keep, e.g. 14") from None
    if given < 1:
        raise HistoryError(f"keep {given} publications: at least 1 (the published one) "
                           "is always kept")
    return given


def keep_publication(paths: Paths, publication_id: str | None = None) -> Path:
    """Keep the published warehouse as `publications/<its id>.duckdb`, read-only; return it.

    Call it right after the rename, under the writer lock. `publication_id`, if given, must
    be the published one's (what record_publication returned). Idempotent: a publication
    already kept is left as it is.
    """
    latest = latest_publication(paths.warehouse) if paths.warehouse.exists() else None
    if latest is None:
        raise HistoryError(f"{paths.warehouse} has no ops.publications: nothing to keep")
    pid = latest["publication_id"]
    if publication_id is not None and normal_id(publication_id) != pid:
        raise HistoryError(f"the published warehouse is {pid}, not {publication_id}")
    folder = paths.publications
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{pid}.duckdb"
    if target.exists():
        held = latest_publication(target)
        if held and held["publication_id"] == pid:
            return target
        raise HistoryError(f"{target} exists but holds "
                           f"{held['publication_id'] if held else 'no publication'}; "
                           "not replaced")
    partial = folder / f".{pid}.duckdb.partial"
    partial.unlink(missing_ok=True)
    try:
        os.link(paths.warehouse, partial)
    except OSError:  # another filesystem, or no hard links here: a copy
        shutil.copyfile(paths.warehouse, partial)
        fsync(partial)
    held = latest_publication(partial)
    if not held or held["publication_id"] != pid:  # replaced meanwhile: never keep a mix-up
        partial.unlink(missing_ok=True)
        raise HistoryError(f"{paths.warehouse} changed while {pid} was being kept")
    os.chmod(partial, KEPT)
    os.replace(partial, target)
    fsync(folder)
    return target


def prune(paths: Paths, keep: int | None = None) -> list[str]:
    """Remove kept publications but the last `keep` (default keep_count()), and copies left
    half-made by a killed run; return the ids removed. The published one is never removed."""
    keep = keep_count(keep)
    folder = paths.publications
    for stale in folder.glob(".p*.duckdb.partial") if folder.is_dir() else []:
        stale.unlink(missing_ok=True)
    kept = kept_files(folder)
    current = latest_publication(paths.warehouse) if paths.warehouse.exists() else None
    protect = sequence_of(current["publication_id"]) if current else None
    removed = []
    for sequence in sorted(kept)[:-keep]:
        if sequence != protect:
            kept[sequence].unlink(missing_ok=True)
            removed.append(kept[sequence].stem)
    if removed:
        fsync(folder)
    return removed


def publications(paths: Paths) -> list[Publication]:
    """Every publication so far, oldest first, each with the file that holds it (`path`:
    its kept file, or the published warehouse; None once pruned); without their lists of
    submissions and fetches (`history` reads those)."""
    kept = kept_files(paths.publications)
    rows = history(paths.warehouse, lists=False)
    if not rows and kept:  # the published file is gone: the newest kept one knows the most
        rows = history(kept[max(kept)], lists=False)
    known = {r["sequence"] for r in rows}
    for sequence in sorted(set(kept) - known):  # kept but unknown to that history
        latest = latest_publication(kept[sequence])
        if latest:
            rows.append(latest)
    rows.sort(key=lambda r: r["sequence"])
    current = rows[-1]["publication_id"] if rows and paths.warehouse.exists() else None
    for row in rows:
        path = kept.get(row["sequence"])
        if path is None and row["publication_id"] == current:
            path = paths.warehouse
        row["path"] = str(path) if path else None
    return rows


def normal_id(ref: str) -> str:
    sequence = sequence_of(ref)
    return publication_id(sequence) if sequence is not None else ref.strip()


def available(rows: list[Publication]) -> str:
    kept = [f"{r['publication_id']} ({r['published_at'][:10]})" for r in rows if r["path"]]
    if not kept:
        return "no publication is kept yet"
    return "kept: " + ", ".join(kept)


def resolve_publication(paths: Paths, ref: str) -> Path:
    """The file of publication `ref`: an id (`p0007`, `p7`), or a date (`2026-11-30`: the
    last one published on or before that day, UTC). A clear error naming what is kept
    otherwise."""
    rows = publications(paths)
    sequence = sequence_of(ref)
    if sequence is not None:
        row = next((r for r in rows if r["sequence"] == sequence), None)
        pid = publication_id(sequence)
        if row is None:
            raise HistoryError(f"no publication {pid}; {available(rows)}")
    else:
        try:
            day = date.fromisoformat(ref.strip())
        except ValueError:
            raise HistoryError(f"{ref!r}: expected a publication id (e.g. p0007) or a date "
                               f"(YYYY-MM-DD); {available(rows)}") from None
        before = [r for r in rows if date.fromisoformat(r["published_at"][:10]) <= day]
        if not before:
            raise HistoryError(f"nothing was published on or before {day}; "
                               f"{available(rows)}")
        row = max(before, key=lambda r: (r["published_at"], r["sequence"]))
        pid = row["publication_id"]
    if row["path"] is None:
        raise HistoryError(f"{pid} (published {row['published_at'][:10]}) is no longer kept; "
                           f"{available(rows)}")
    return Path(row["path"])


def after_publication(paths: Paths, publication_id: str, keep: int | None = None,
                      top: int = 5) -> PublicationChanges:
    """The steps after the rename, in one call, under the writer lock: keep the publication,
    say what it changed against the kept one before it (for the run summary), then prune
    the old ones. A summary that cannot be made says why in `error` rather than fail a run
    that has published."""
    kept = keep_publication(paths, publication_id)
    keep = keep_count(keep)
    rows = [r for r in publications(paths) if r["path"]]
    earlier = [r for r in rows if r["sequence"] < (sequence_of(publication_id) or 0)]
    try:
        changes = summarize(Path(earlier[-1]["path"]) if earlier else None, kept, top)
    except (HistoryError, duckdb.Error) as error:
        changes = PublicationChanges(
            from_publication=earlier[-1]["publication_id"] if earlier else None,
            to_publication=normal_id(publication_id), marts={}, highlights={},
            error=" ".join(str(error).split()))
    prune(paths, keep)
    return changes


def changes_since_previous(paths: Paths, top: int = 5) -> PublicationChanges | None:
    """summarize() of the published warehouse against the kept publication before it;
    None when nothing is published."""
    if not paths.warehouse.exists():
        return None
    latest = latest_publication(paths.warehouse)
    earlier = [r for r in publications(paths)
               if r["path"] and latest and r["sequence"] < latest["sequence"]]
    return summarize(Path(earlier[-1]["path"]) if earlier else None, paths.warehouse, top)
