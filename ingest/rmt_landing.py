"""Landing project reports: page bodies into the archive, grouped into fetches.

Pages arrive by two routes carrying the same bodies: the API (`ingest/rmt_api.py`) and
file exports (a folder of page files, one sub-folder per export). Either way the unit is
a *fetch*: all its pages load together or none does. Every page body is archived byte
for byte before anything is parsed, whatever becomes of the fetch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.landing import LandedFile, archive_bytes, to_disk
from ingest.problems import Problem

SOURCE = "rmt"


@dataclass(frozen=True)
class LandedPage:
    """An archived page body and where it sits in its fetch."""

    file: LandedFile
    page: int | None  # the page number asked for (API); for an export, only its body says
    url: str | None = None


@dataclass
class Fetch:
    """A set of pages that loads as one: an API fetch or one export folder."""

    fetch_id: str
    route: str  # api | export
    origin: str  # the API's base URL, or the export folder's path under the landing area
    pages: list[LandedPage]
    updated_since: str | None = None
    content_sha256: str | None = None  # of an export folder's (name, sha256) list
    error: Problem | None = None  # why the API stopped before the last page


def land_pages(archive: Path, bodies: Iterable[tuple[str, bytes, int | None, str | None]]
               ) -> list[LandedPage]:
    """Archive page bodies as (name, bytes, page, url), on the disk when this returns;
    return them as landed pages."""
    pages = [LandedPage(archive_bytes(archive, SOURCE, body, name, ".json", sync=False),
                        page, url) for name, body, page, url in bodies]
    if pages:
        to_disk()
    return pages


def export_fetches(landing: Path, archive: Path, run_id: str,
                   seen: set[tuple[str, str]]) -> list[Fetch]:
    """One fetch per export folder under `landing` whose content was not decided before.

    An export folder holds page files (`*.json`); files directly in `landing` form one
    export too. A folder is identified by its names and contents, so a corrected export
    (a page replaced) is decided again as a whole. `seen` holds (origin, content_sha256)
    of exports already decided. The landing area is only read.
    """
    folders: dict[str, list[Path]] = {}
    for path in sorted(p for p in landing.rglob("*.json") if p.is_file()):
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts):
            continue
        folders.setdefault(relative.parent.as_posix(), []).append(path)
    fetches = []
    for number, (folder, paths) in enumerate(sorted(folders.items()), start=1):
        bodies = [(p.relative_to(landing).as_posix(), p.read_bytes()) for p in paths]
        content = hashlib.sha256("\n".join(
            f"{name}:{hashlib.sha256(body).hexdigest()}" for name, body in bodies).encode()
        ).hexdigest()
        if (folder, content) in seen:
            continue
        pages = land_pages(archive, [(name, body, None, None) for name, body in bodies])
        fetches.append(Fetch(f"{SOURCE}-{run_id}-{number:03d}", "export", folder, pages,
                             content_sha256=content))
    return fetches


def archived_fetch(fetch_id: str, fetch: tuple, pages: list[tuple]) -> Fetch:
    """A recorded fetch as the state has it (`state.rmt_fetch`), reading the archive."""
    route, origin, since, content = fetch
    return Fetch(fetch_id, route, origin, [
        LandedPage(LandedFile(SOURCE, sha, name, size, received.isoformat(), path), page, url)
        for sha, name, size, received, path, page, url in pages],
        updated_since=since, content_sha256=content)
