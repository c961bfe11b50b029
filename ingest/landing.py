"""Landing: copy every delivered file into the archive, byte for byte, under its sha256.

The archive is the platform's memory. A file is written once, made read-only,
and never modified or deleted; a small JSON record beside it says where it came
from. Everything downstream (parsing, backfills) reads the archive, never the
landing area, so what was loaded can always be traced to exact bytes.

Nothing in a landing folder is passed over in silence (`land_directory`): every file is
archived, whatever its format, for its source to decide; what cannot be archived (a
folder named like a file, a link, a file that cannot be read, a file over the source's
size limit, a folder deeper than MAX_DEPTH) comes back as a `Refusal` for its source to
record, and so does a file whose name cannot be recorded as it is (not UTF-8, or too
long), though its bytes are archived; Excel's lock files and hidden files are counted as
ignored; a file still being written is left for the next run, and so is one younger than
the settle time. The landing folder is only ever read, and a file's size is looked at
before it is read.

Names are recorded as valid text: a name that is not UTF-8 (Latin-1, as a Windows share
may write it) is recorded with its odd bytes written `\\xNN`, and `shown` escapes what
a terminal would act on when a name is put in a message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.paths import ARCHIVED_FILE, PRIVATE_DIR
from ingest.terminal import printable

IGNORED_PREFIXES = (".", "~$")  # hidden files, and the lock files Excel leaves beside a workbook
STILL_BEING_WRITTEN = "still being written"
GONE = "gone before it could be read"
# How far a landing looks. Deliveries sit in a folder per country or year at most; a tree
# deeper than this is a mistake (a copy of a copy), and walking it without end is how a
# run once died (RecursionError at 1,100 levels).
MAX_DEPTH = 20  # folders a file may be below the landing folder
ARCHIVE_THREADS = 4  # files archived at once by a landing pass
MAX_NAME_CHARS = 200  # of a file's own name: its feedback workbook adds ~30 to it
MAX_NAME_BYTES = 255  # of any part of its path, in UTF-8: what file systems allow

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
    """Why an entry of the landing folder is recorded, though not as bytes to read.

    `code`: not_a_file (a folder named like a file, a link to a folder, a pipe),
    link_outside_landing (not followed), broken_link, unreadable_file, too_large (over the
    source's limit, never read), too_deep (a folder below MAX_DEPTH, not looked into),
    bad_file_name (not UTF-8), name_too_long; `what` says what is wrong with it, said
    after its name ("is a folder, not a file"). `archived`: a file whose only fault is its
    name, whose bytes were archived all the same though it is recorded as an entry; its
    `what` also says what to do (rename it), the same whatever the source.
    """

    code: str
    what: str
    archived: bool = False


@dataclass
class Landing:
    """What one pass over a landing folder found that is new."""

    files: list[LandedFile] = field(default_factory=list)  # archived, and refused entries
    refused: dict[tuple[str, str], Refusal] = field(default_factory=dict)  # (sha256, name)
    ignored: list[str] = field(default_factory=list)  # lock files and hidden files, by name
    deferred: list[tuple[str, str]] = field(default_factory=list)  # (name, why) for next run
    # name -> (its status's `unchanged_key`, sha256) of every file archived, or found already
    # recorded under its name and bytes: what `land_directory` may take as unchanged next
    # time, if the state then records those bytes under that name.
    unchanged: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)


def unchanged_key(info: os.stat_result) -> tuple[int, ...]:
    """What says a file is the one read before without reading it again: size, modification
    and change times, inode and device, as git's index decides it. Rewriting a file, even
    with its old modification time restored, changes its change time, which no program
    can set."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


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
    return hashlib.sha256(f"spf-landing-entry\n{kind}\n{name}\n{detail}".encode(
        "utf-8", "surrogateescape")).hexdigest()


def recorded_name(name: str) -> str:
    """A name as valid text, to be recorded and shown: unchanged when it is UTF-8; else
    (the operating system gave its odd bytes as surrogates) each odd byte as `\\xNN`."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def shown(name: str, limit: int = 160) -> str:
    """A name as a message shows it: control characters (a terminal's escape codes, line
    breaks), odd bytes and text-direction marks escaped as Python writes them (`\\x1b`,
    `\\n`), and a name longer than `limit` shortened in the middle."""
    text = printable(name)
    if len(text) > limit:
        text = f"{text[:limit * 2 // 3]}...{text[-(limit // 3):]}"
    return text


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def _name_refusal(name: str) -> Refusal | None:
    """Why a file's name (relative to the landing folder, as the operating system gives it)
    cannot be recorded as it is: not UTF-8, or too long. Its bytes are archived all the
    same (`Refusal.archived`)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogateescape")
        try:
            meant = raw.decode("cp1252")
        except UnicodeDecodeError:
            meant = None
        plain = "".join(c for c in unicodedata.normalize("NFKD", meant or "")
                        if c.isascii() and c.isprintable())
        perhaps = f" (perhaps '{shown(meant)}', as Windows writes it)" if meant else ""
        rename = f"rename it, e.g. to '{shown(plain)}'," if plain.strip(" ./") else \
            "rename it"
        return Refusal("bad_file_name", f"has a name that is not valid UTF-8 text{perhaps}, "
                       f"so it was kept but not read: {rename} and send it again",
                       archived=True)
    parts = name.split("/")
    widest = max(len(part.encode()) for part in parts)
    if len(parts[-1]) > MAX_NAME_CHARS:
        what = (f"has a name of {len(parts[-1]):,} characters, more than the "
                f"{MAX_NAME_CHARS} a file's name may have")
    elif widest > MAX_NAME_BYTES:
        what = (f"has a name with a part of {widest:,} bytes, more than the "
                f"{MAX_NAME_BYTES} a file's or folder's name may have")
    else:
        return None
    return Refusal("name_too_long", f"{what}, so it was kept but not read: give it a shorter "
                   "name (e.g. KHM_2022_r1.xlsx) and send it again", archived=True)


@dataclass(frozen=True)
class _Entry:
    path: Path
    name: str  # relative to the landing folder, with forward slashes, as recorded
    kind: str  # file | link | folder | unreadable_folder | too_deep | special | ignored
    raw: str  # `name` as the operating system gives it (odd bytes as surrogates)


def _entry(path: Path, landing: Path, kind: str) -> _Entry:
    raw = path.relative_to(landing).as_posix()
    return _Entry(path, recorded_name(raw), kind, raw)


def _entries(landing: Path, file_suffixes: tuple[str, ...]) -> Iterator[_Entry]:
    """Every entry under `landing`, links and special files included, without following a
    link. A folder is walked into, unless its name says it should have been a file, or it
    is more than MAX_DEPTH folders down (then it is an entry itself, not looked into).
    Walked with a list of folders to visit, so no depth exhausts the stack."""
    folders = [(landing, 0)]
    while folders:
        folder, depth = folders.pop()
        try:
            with os.scandir(folder) as listing:
                found = list(listing)
        except OSError:
            if folder == landing:
                raise
            yield _entry(folder, landing, "unreadable_folder")
            continue
        for item in found:
            path = Path(item.path)
            if item.name.startswith(IGNORED_PREFIXES):
                yield _entry(path, landing, "ignored")
            elif item.is_symlink():
                yield _entry(path, landing, "link")
            elif item.is_dir(follow_symlinks=False):
                if path.suffix.lower() in file_suffixes:
                    yield _entry(path, landing, "folder")
                elif depth >= MAX_DEPTH:
                    yield _entry(path, landing, "too_deep")
                else:
                    folders.append((path, depth + 1))
            elif item.is_file(follow_symlinks=False):
                yield _entry(path, landing, "file")
            else:
                yield _entry(path, landing, "special")


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
    text = recorded_name(os.readlink(entry.path))
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
    if entry.kind == "too_deep":
        return "", Refusal("too_deep", f"is a folder more than {MAX_DEPTH} levels below the "
                           "landing folder, whose content was not looked at")
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


def _too_large(size: int, limit: int) -> Refusal:
    return Refusal("too_large", f"is {_megabytes(size)}, more than the {_megabytes(limit)} a "
                                "file may be")


def _read_settled(handle, before: os.stat_result, path: Path,
                  limit: int | None) -> bytes | None:
    """The bytes of an open file if it did not change while read (size and modification
    time the same before and after, and as many bytes as it had), else None. At most
    `limit` + 1 bytes are read: a file that grew past the limit since `before` has changed.
    """
    data = handle.read() if limit is None else handle.read(limit + 1)
    if on_read is not None:
        on_read(path)
    after = os.stat(path)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or \
            len(data) != after.st_size:
        return None
    return data


def _open(path: Path):
    """(a regular file opened for reading, its status); (None, its status) if it is not one
    any more (replaced by a pipe, say, since the folder was listed: never waited on)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None, info
    return os.fdopen(fd, "rb"), info


def land_directory(landing: Path, archive: Path, source: str,
                   known: set[tuple[str, str]] = frozenset(),
                   file_suffixes: tuple[str, ...] = (), settle_seconds: float = 0,
                   skip: frozenset[str] = frozenset(), max_bytes: int | None = None,
                   unchanged: Mapping[str, tuple[tuple[int, ...], str]] | None = None
                   ) -> Landing:
    """Archive every new file under `landing`; say what else is there. Only ever reads it.

    `known` holds (sha256, original_name) pairs already recorded, which are skipped
    without being copied again. Names are paths relative to `landing` (`recorded_name`).
    Every regular file is archived whatever its name (its source decides what it makes of
    it); a folder whose name ends in one of `file_suffixes` (say `figures.xlsx`) is refused
    as not a file rather than walked into. A file that changed while it was read, or
    changed less than `settle_seconds` ago, is left for the next run. `skip` names entries
    that are no deliveries at all (the bundled sample's README). A file over `max_bytes`
    is refused from its size on disk, never read; it is recorded once while its size and
    modification time stay the same. So is a file whose name cannot be recorded as it is,
    after its bytes are archived.

    `unchanged` is what an earlier pass archived or found recorded (`Landing.unchanged`):
    a file with the same status (`unchanged_key`) whose bytes the state records under its
    name is not read again. A night with nothing new reads no file, where it read every
    delivery ever landed.
    """
    root = landing.resolve()
    found = Landing()
    entries = [e for e in sorted(_entries(landing, tuple(s.lower() for s in file_suffixes)),
                                 key=lambda e: Path(e.name).parts) if e.name not in skip]

    def visit(entry: _Entry) -> tuple[Landing, tuple[str, Refusal] | None]:
        mine = Landing()
        return mine, _visit(entry, root, archive, source, known, settle_seconds, max_bytes,
                            mine)

    def seen(entry: _Entry) -> tuple[Landing, None] | None:
        """An entry done with here, without reading it: ignored, or unchanged."""
        mine = Landing()
        if entry.kind == "ignored":
            mine.ignored.append(entry.name)
            return mine, None
        remembered = (unchanged or {}).get(entry.name)
        if entry.kind == "file" and remembered is not None:
            try:
                key = unchanged_key(os.stat(entry.path, follow_symlinks=False))
            except OSError:
                return None
            if key == remembered[0] and (remembered[1], entry.name) in known:
                mine.unchanged[entry.name] = remembered
                return mine, None
        return None

    # Creating the archive's files is most of a first landing's time, and waits on the
    # file system rather than on Python: a few threads overlap it. What each entry finds is
    # merged in the order of the entries, so the outcome is that of one pass.
    done = [seen(entry) for entry in entries]
    with ThreadPoolExecutor(ARCHIVE_THREADS) as pool:
        pending = {i: pool.submit(visit, entry) for i, entry in enumerate(entries)
                   if done[i] is None}
        for i, entry in enumerate(entries):
            mine, outcome = done[i] or pending.pop(i).result()
            found.files.extend(mine.files)
            found.ignored.extend(mine.ignored)
            found.deferred.extend(mine.deferred)
            found.unchanged.update(mine.unchanged)
            if outcome is None:
                continue
            detail, refusal = outcome
            sha = identity(refusal.code, entry.name, detail)
            if (sha, entry.name) in known:
                continue
            found.files.append(LandedFile(source, sha, entry.name, None, _now(), None))
            found.refused[(sha, entry.name)] = refusal
    if any(f.archive_path for f in found.files):
        to_disk()
    return found


def _visit(entry: _Entry, root: Path, archive: Path, source: str,
           known: set[tuple[str, str]], settle_seconds: float, max_bytes: int | None,
           found: Landing) -> tuple[str, Refusal] | None:
    """One entry of a landing folder to read into `found` (see `land_directory`): None
    when it is done with (archived, known, or left for the next run), else what makes it
    the same entry next time and why it is recorded as one."""
    name = entry.name
    detail, refusal = _refusal(entry, root)
    if refusal is None:
        try:
            handle, info = _open(entry.path)
        except FileNotFoundError:
            found.deferred.append((name, GONE))
            return None
        except OSError as error:
            return _unreadable(entry.path, error)
        if handle is None:
            return "", Refusal("not_a_file", f"is {_special(info.st_mode)}, not a file")
        with handle:
            return _land_file(entry, handle, info, archive, source, known, settle_seconds,
                              max_bytes, found)
    return detail, refusal


def _land_file(entry: _Entry, handle, info: os.stat_result, archive: Path, source: str,
               known: set[tuple[str, str]], settle_seconds: float, max_bytes: int | None,
               found: Landing) -> tuple[str, Refusal] | None:
    """Archive one open file into `found`, or leave it (known, or for the next run): None;
    else why it is recorded as an entry, and what makes it the same entry next time: over
    `max_bytes` (never read), a name that cannot be recorded as it is (archived all the
    same), or bytes that cannot be read. What fails in the archive is no fault of the file,
    and is raised."""
    name = entry.name
    detail = f"{info.st_size}:{info.st_mtime_ns}"
    refusal = _too_large(info.st_size, max_bytes) if max_bytes is not None and \
        info.st_size > max_bytes else _name_refusal(entry.raw)
    young = settle_seconds and time.time() - info.st_mtime < settle_seconds
    if refusal is not None:
        if (identity(refusal.code, name, detail), name) in known:
            return None
        if young:
            found.deferred.append((name, f"changed less than {settle_seconds:g} s ago"))
            return None
        if not refusal.archived:
            return detail, refusal
    try:
        data = _read_settled(handle, info, entry.path, max_bytes)
    except FileNotFoundError:
        found.deferred.append((name, GONE))
        return None
    except OSError as error:
        return _unreadable(entry.path, error)
    if data is None:
        found.deferred.append((name, STILL_BEING_WRITTEN))
        return None
    sha = hashlib.sha256(data).hexdigest()
    if refusal is None:
        if (sha, name) in known:
            if entry.kind == "file":
                found.unchanged[name] = (unchanged_key(info), sha)
            return None
        if young:
            found.deferred.append((name, f"changed less than {settle_seconds:g} s ago"))
            return None
    suffix = entry.path.suffix.lower()
    landed = archive_bytes(archive, source, data, name,
                           suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else "",
                           sync=False, sha256=sha)
    if refusal is not None:
        return detail, refusal
    found.files.append(landed)
    if entry.kind == "file":  # taken as unchanged next time only once the state records it
        found.unchanged[name] = (unchanged_key(info), sha)
    return None
