"""Landing: copy every delivered file into the archive, byte for byte, under its sha256.

The archive is the platform's memory. A file is written once, made read-only,
and never modified or deleted; a small JSON record beside it says where it came
from. Everything downstream (parsing, backfills) reads the archive, never the
landing area, so what was loaded can always be traced to exact bytes.

Nothing in a landing folder is passed over in silence (`land_directory`): every file is
archived, whatever its format, for its source to decide; what cannot be archived (a
folder named like a file, a link, a file that cannot be read) comes back as a `Refusal`
for its source to record; Excel's lock files and hidden files are counted as ignored; a
file still being written is left for the next run, and so is one younger than the
settle time. The landing folder is only ever read.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.paths import ARCHIVED_FILE, PRIVATE_DIR

IGNORED_PREFIXES = (".", "~$")  # hidden files, and the lock files Excel leaves beside a workbook
STILL_BEING_WRITTEN = "still being written"
GONE = "gone before it could be read"

# A seam for tests: called with each file's path after its bytes are read and before it is
# stat'ed again, so a test can change the file at exactly that moment.
on_read: Callable[[Path], None] | None = None


@dataclass(frozen=True)
class LandedFile:
    """One delivered file as the archive knows it.

    An entry of the landing folder with no bytes to archive (see `Refusal`) has no
    `archive_path` and no `size_bytes`, and its `sha256` is that of a description of it
    (`identity`) rather than of bytes.
    """

    source: str
    sha256: str
    original_name: str
    size_bytes: int | None
    received_at: str
    archive_path: str | None


@dataclass(frozen=True)
class Refusal:
    """Why an entry of the landing folder has no bytes to archive, though it is recorded.

    `code`: not_a_file (a folder named like a file, a link to a folder, a pipe),
    link_outside_landing (not followed), broken_link, unreadable_file; `what` says what
    is wrong with it, said after its name ("is a folder, not a file").
    """

    code: str
    what: str


@dataclass
class Landing:
    """What one pass over a landing folder found that is new."""

    files: list[LandedFile] = field(default_factory=list)  # archived, and refused entries
    refused: dict[tuple[str, str], Refusal] = field(default_factory=dict)  # (sha256, name)
    ignored: list[str] = field(default_factory=list)  # lock files and hidden files, by name
    deferred: list[tuple[str, str]] = field(default_factory=list)  # (name, why) for next run


def archive_path(archive: Path, source: str, sha256: str, suffix: str) -> Path:
    return archive / source / sha256[:2] / f"{sha256}{suffix}"


def _write_once(target: Path, data: bytes, sync: bool = True) -> None:
    """Write `data` to `target` atomically unless it already exists; then make it read-only.

    Without `sync`, the bytes may still be in the page cache: the caller must call
    `to_disk` before the state says they are landed. The folder must exist."""
    if target.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".landing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, ARCHIVED_FILE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_disk() -> None:
    """Flush what a batch archived without `sync` (files, records and renames) to the disk.

    One sync for a batch instead of two fsyncs per file (the file and its record), which
    were most of the landing's time when 5,000 workbooks were profiled (`make bench`)."""
    os.sync()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def archive_bytes(archive: Path, source: str, data: bytes, original_name: str,
                  suffix: str, received_at: str | None = None, sync: bool = True,
                  sha256: str | None = None) -> LandedFile:
    """Archive `data` (if not yet there) with its metadata record; return its identity.

    Without `sync`, as `_write_once`: `to_disk` once the batch is archived. `sha256`: the
    data's, when the caller has hashed it already."""
    sha = sha256 or hashlib.sha256(data).hexdigest()
    target = archive_path(archive, source, sha, suffix)
    meta_path = target.with_name(f"{sha}.meta.json")
    recorded = meta_path.exists()
    if recorded:
        received = json.loads(meta_path.read_text())["received_at"]
    else:
        received = received_at or _now()
    landed = LandedFile(source, sha, original_name, len(data), received, str(target))
    archive.parent.mkdir(parents=True, exist_ok=True)
    for folder in (archive, archive / source, target.parent):  # private: personal data
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    _write_once(target, data, sync)
    if not recorded:
        _write_once(meta_path, json.dumps(asdict(landed), indent=2).encode(), sync)
    return landed


def identity(kind: str, name: str, detail: str = "") -> str:
    """The stable sha256 of an entry with no bytes to hash: what it is, its name, and what
    makes it the same entry on the next run (a link's own text, never what it leads to; an
    unreadable file's size and modification time; nothing for a folder, whatever it holds)."""
    return hashlib.sha256(f"spf-landing-entry\n{kind}\n{name}\n{detail}".encode()).hexdigest()


@dataclass(frozen=True)
class _Entry:
    path: Path
    name: str  # relative to the landing folder, with forward slashes
    kind: str  # file | link | folder | unreadable_folder | special | ignored


def _entries(folder: Path, landing: Path, file_suffixes: tuple[str, ...]) -> Iterator[_Entry]:
    """Every entry under `folder`, links and special files included, without following a
    link. A folder is walked into, unless its name says it should have been a file."""
    try:
        with os.scandir(folder) as listing:
            found = list(listing)
    except OSError:
        if folder == landing:
            raise
        yield _Entry(folder, folder.relative_to(landing).as_posix(), "unreadable_folder")
        return
    for entry in found:
        path = Path(entry.path)
        name = path.relative_to(landing).as_posix()
        if entry.name.startswith(IGNORED_PREFIXES):
            yield _Entry(path, name, "ignored")
        elif entry.is_symlink():
            yield _Entry(path, name, "link")
        elif entry.is_dir(follow_symlinks=False):
            if path.suffix.lower() in file_suffixes:
                yield _Entry(path, name, "folder")
            else:
                yield from _entries(path, landing, file_suffixes)
        elif entry.is_file(follow_symlinks=False):
            yield _Entry(path, name, "file")
        else:
            yield _Entry(path, name, "special")


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return "a device"
    return "an entry of another kind"


def _follow(entry: _Entry, root: Path) -> tuple[str, Refusal | None]:
    """Where a link inside the landing folder leads: ("file", None) when to a regular file
    of the landing folder, to be read through the link; else (its text, why it is refused).

    A link that leads outside the landing folder is not followed: only the link's own text
    is read, and where it resolves to, never what is there.
    """
    text = os.readlink(entry.path)
    try:
        target = entry.path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return text, Refusal("broken_link", "is a link that leads back to itself")
    if not target.is_relative_to(root):
        return text, Refusal("link_outside_landing",
                             "is a link leading outside the landing folder, which is not "
                             "followed")
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return text, Refusal("broken_link", "is a link to a file that does not exist")
    if stat.S_ISREG(mode):
        return "file", None
    if stat.S_ISDIR(mode):
        return text, Refusal("not_a_file", "is a link to a folder, not a file (the folder's "
                                           "own files are landed under their own names)")
    return text, Refusal("not_a_file", f"is a link to {_special(mode)}, not a file")


def _refusal(entry: _Entry, root: Path) -> tuple[str, Refusal | None]:
    """(what makes it the same entry next time, why it is refused) of an entry that is no
    file to read; ("", None) for one that is (a file, a link to a file inside)."""
    if entry.kind == "link":
        return _follow(entry, root)
    if entry.kind == "folder":
        return "", Refusal("not_a_file", "is a folder, not a file")
    if entry.kind == "unreadable_folder":
        return "", Refusal("unreadable_file", "is a folder that cannot be read")
    if entry.kind == "special":
        return "", Refusal("not_a_file",
                           f"is {_special(os.lstat(entry.path).st_mode)}, not a file")
    return "", None


def _unreadable(path: Path, error: OSError) -> tuple[str, Refusal]:
    """A file that cannot be read is the same while its size and modification time are."""
    try:
        info = os.stat(path)
        detail = f"{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        detail = ""
    return detail, Refusal("unreadable_file",
                           f"cannot be read ({error.strerror or type(error).__name__})")


def _read_settled(path: Path) -> tuple[bytes, os.stat_result] | None:
    """The bytes of `path` if it did not change while read (size and modification time the
    same before and after, and as many bytes as it had), else None."""
    before = os.stat(path)
    data = path.read_bytes()
    if on_read is not None:
        on_read(path)
    after = os.stat(path)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or \
            len(data) != after.st_size:
        return None
    return data, after


def land_directory(landing: Path, archive: Path, source: str,
                   known: set[tuple[str, str]] = frozenset(),
                   file_suffixes: tuple[str, ...] = (), settle_seconds: float = 0,
                   skip: frozenset[str] = frozenset()) -> Landing:
    """Archive every new file under `landing`; say what else is there. Only ever reads it.

    `known` holds (sha256, original_name) pairs already recorded, which are skipped
    without being copied again. Names are paths relative to `landing`. Every regular
    file is archived whatever its name (its source decides what it makes of it); a folder
    whose name ends in one of `file_suffixes` (say `figures.xlsx`) is refused as not a file
    rather than walked into. A file that changed while it was read, or changed less than
    `settle_seconds` ago, is left for the next run. `skip` names entries that are no
    deliveries at all (the bundled sample's README).
    """
    root = landing.resolve()
    found = Landing()
    entries = sorted(_entries(landing, landing, tuple(s.lower() for s in file_suffixes)),
                     key=lambda e: Path(e.name).parts)
    for entry in entries:
        name = entry.name
        if name in skip:
            continue
        if entry.kind == "ignored":
            found.ignored.append(name)
            continue
        detail, refusal = _refusal(entry, root)
        if refusal is None:
            try:
                read = _read_settled(entry.path)
            except FileNotFoundError:
                found.deferred.append((name, GONE))
                continue
            except OSError as error:
                detail, refusal = _unreadable(entry.path, error)
            else:
                if read is None:
                    found.deferred.append((name, STILL_BEING_WRITTEN))
                    continue
                data, info = read
                sha = hashlib.sha256(data).hexdigest()
                if (sha, name) in known:
                    continue
                age = time.time() - info.st_mtime
                if settle_seconds and age < settle_seconds:
                    found.deferred.append((name, f"changed less than {settle_seconds:g} s ago"))
                    continue
                found.files.append(archive_bytes(archive, source, data, name,
                                                 entry.path.suffix.lower(), sync=False,
                                                 sha256=sha))
                continue
        sha = identity(refusal.code, name, detail)
        if (sha, name) in known:
            continue
        found.files.append(LandedFile(source, sha, name, None, _now(), None))
        found.refused[(sha, name)] = refusal
    if any(f.archive_path for f in found.files):
        to_disk()
    return found
