"""Landing: copy every delivered file into the archive, byte for byte, under its sha256.

The archive is the platform's memory. A file is written once, made read-only,
and never modified or deleted; a small JSON record beside it says where it came
from. Everything downstream (parsing, backfills) reads the archive, never the
landing area, so what was loaded can always be traced to exact bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class LandedFile:
    """One delivered file as the archive knows it."""

    source: str
    sha256: str
    original_name: str
    size_bytes: int
    received_at: str
    archive_path: str


def archive_path(archive: Path, source: str, sha256: str, suffix: str) -> Path:
    return archive / source / sha256[:2] / f"{sha256}{suffix}"


def _write_once(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically unless it already exists; then make it read-only."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".landing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def archive_bytes(archive: Path, source: str, data: bytes, original_name: str,
                  suffix: str, received_at: str | None = None) -> LandedFile:
    """Archive `data` (if not yet there) with its metadata record; return its identity."""
    sha = hashlib.sha256(data).hexdigest()
    target = archive_path(archive, source, sha, suffix)
    meta_path = target.with_name(f"{sha}.meta.json")
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        received = meta["received_at"]
    else:
        received = received_at or datetime.now(UTC).isoformat(timespec="seconds")
    landed = LandedFile(source, sha, original_name, len(data), received, str(target))
    _write_once(target, data)
    if not meta_path.exists():
        _write_once(meta_path, json.dumps(asdict(landed), indent=2).encode())
    return landed


def land_directory(landing: Path, archive: Path, source: str, pattern: str,
                   known: set[tuple[str, str]] = frozenset()) -> list[LandedFile]:
    """Archive every file under `landing` matching `pattern`; the landing area is only read.

    `known` holds (sha256, original_name) pairs already recorded, which are skipped
    without being copied again. Names are paths relative to `landing`.
    """
    landed = []
    for path in sorted(p for p in landing.rglob(pattern) if p.is_file()):
        name = path.relative_to(landing).as_posix()
        if any(part.startswith((".", "~$")) for part in Path(name).parts):
            continue  # hidden files and Excel's lock files are not deliveries
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if (sha, name) in known:
            continue
        landed.append(archive_bytes(archive, source, data, name, path.suffix.lower()))
    return landed
