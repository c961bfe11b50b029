"""Landing project reports: page bodies into the archive, grouped into fetches.

Pages arrive by two routes carrying the same bodies: the API (`ingest/rmt_api.py`) and
file exports (a folder of page files, one sub-folder per export). Either way the unit is
a *fetch*: all its pages load together or none does. Every page body is archived byte
for byte before anything is parsed, whatever becomes of the fetch, one at a time (never a
whole export in memory). What is too large to be a page is neither read nor archived, only
recorded: a page file over MAX_PAGE_BYTES (by its size on disk, checked before reading),
and an export folder of more than MAX_PAGES page files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.landing import LandedFile, archive_bytes, identity, to_disk
from ingest.problems import Problem

SOURCE = "rmt"
# The bounds of a delivery, here rather than with the contract's models (ingest/rmt_contract.py)
# so that landing, and a night that lands nothing, need neither pydantic nor numpy.
MAX_PAGES = 10_000  # pages of one fetch, or page files of one export folder
MAX_PAGE_BYTES = 50 * 1024 * 1024  # a page body (as received and once decompressed) or file


@dataclass(frozen=True)
class FetchedPage:
    """One page body as received from the API, with where and when it came from."""

    page: int
    url: str
    body: bytes
    fetched_at: str


class FetchFailed(RuntimeError):
    """The fetch failed for good; the message is one line an operator can act on, never the token.

    `pages` holds every body received before the failure (including a bad body), so the caller
    can archive them for inspection. `code` is the reason recorded for the fetch; `transient`
    says whether the same fetch a little later could succeed (Prefect retries only those).
    Raised by ingest/rmt_api.py; here, so that the sources' registry names it without
    importing the HTTP client.
    """

    code = "fetch_failed"
    transient = True

    def __init__(self, message: str, pages: list[FetchedPage] | None = None,
                 code: str | None = None, transient: bool | None = None) -> None:
        super().__init__(message)
        self.pages: list[FetchedPage] = list(pages or [])
        if code is not None:
            self.code = code
        if transient is not None:
            self.transient = transient

    def __reduce__(self):
        return type(self), (self.args[0], self.pages, self.code, self.transient)


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
    problems: list[Problem] = field(default_factory=list)  # why an export was not landed whole


def land_pages(archive: Path, bodies: Iterable[tuple[str, bytes, int | None, str | None]]
               ) -> list[LandedPage]:
    """Archive page bodies as (name, bytes, page, url), on the disk when this returns;
    return them as landed pages. `bodies` is consumed one at a time."""
    pages = [LandedPage(archive_bytes(archive, SOURCE, body, name, ".json", sync=False),
                        page, url) for name, body, page, url in bodies]
    if pages:
        to_disk()
    return pages


def too_large(name: str, size: int) -> LandedPage:
    """A page file over MAX_PAGE_BYTES: recorded by name and size, not archived (no
    archive path; its sha256 that of the description, `landing.identity`)."""
    return LandedPage(LandedFile(SOURCE, identity("page_too_large", name, str(size)), name, size,
                                 datetime.now(UTC).isoformat(timespec="seconds"), None), None)


def _page_files(landing: Path, archive: Path, paths: list[Path]) -> Iterator[LandedPage]:
    """Each page file archived, or `too_large`: its size is looked at before it is read,
    and no more than MAX_PAGE_BYTES + 1 bytes are read of it (it may grow meanwhile; `read`
    is never asked for more than the file holds, as it sets aside what it is asked for)."""
    for path in paths:
        name = path.relative_to(landing).as_posix()
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            body = handle.read(size + 1) if size <= MAX_PAGE_BYTES else None
            if body is not None and len(body) > size:  # it grew since: read on to the limit
                body += handle.read(MAX_PAGE_BYTES + 1 - len(body))
        if body is None or len(body) > MAX_PAGE_BYTES:
            yield too_large(name, size if body is None else len(body))
        else:
            yield LandedPage(archive_bytes(archive, SOURCE, body, name, ".json", sync=False),
                             None)


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
        fetch_id = f"{SOURCE}-{run_id}-{number:03d}"
        if len(paths) > MAX_PAGES:
            content = _digest(f"{p.relative_to(landing).as_posix()}:{p.stat().st_size}"
                              for p in paths)
            if (folder, content) not in seen:
                fetches.append(Fetch(fetch_id, "export", folder, [], content_sha256=content,
                                     problems=[_too_many(folder, len(paths))]))
            continue
        pages = list(_page_files(landing, archive, paths))  # a known export: already archived
        content = _digest(f"{p.file.original_name}:{p.file.sha256}" for p in pages)
        if (folder, content) in seen:
            continue
        to_disk()
        fetches.append(Fetch(fetch_id, "export", folder, pages, content_sha256=content))
    return fetches


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _too_many(folder: str, count: int) -> Problem:
    return Problem("too_many_pages", f"the export folder holds {count} page files, more than "
                   f"the {MAX_PAGES} one fetch may have: none was read; split it into folders "
                   f"of at most {MAX_PAGES} pages (of up to 500 interventions each)",
                   origin=folder)


def archived_fetch(fetch_id: str, fetch: tuple, pages: list[tuple]) -> Fetch:
    """A recorded fetch as the state has it (`state.rmt_fetch`), reading the archive."""
    route, origin, since, content = fetch
    return Fetch(fetch_id, route, origin, [
        LandedPage(LandedFile(SOURCE, sha, name, size, received.isoformat(), path), page, url)
        for sha, name, size, received, path, page, url in pages],
        updated_since=since, content_sha256=content)
