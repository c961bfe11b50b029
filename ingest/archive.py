"""The archive as the state refers to it: by a path inside it, and by the hash of the bytes.

Files sit at `<archive>/<source>/<sha256[:2]>/<sha256><suffix>` (ingest/landing.py). The
state records only that last part, so a home moved elsewhere (`mv data /srv/spf`) keeps
working; records written before, with absolute paths, are read the same way. Whatever is
read again from the archive (a backfill, a release, a feedback workbook) is first checked
against the sha256 it was landed under: damaged bytes are never decided again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from ingest.terminal import printable

_BLOCK = 1 << 20


class ArchiveDamaged(RuntimeError):
    """An archived file is missing or no longer holds the bytes it was landed with."""


def stored(path: str | None) -> str | None:
    """How the state records an archived file: `<source>/<sha[:2]>/<file>`, inside the
    archive folder, whatever the home's absolute path."""
    if not path:
        return None
    return PurePosixPath(*Path(path).parts[-3:]).as_posix()


def located(archive: Path, recorded: str | None) -> Path | None:
    """The file a recorded archive path names in this home (an old absolute path too)."""
    if not recorded:
        return None
    return archive.joinpath(*PurePosixPath(recorded).parts[-3:])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(archive: Path, recorded: str | None, sha256: str, name: str) -> Path:
    """The archived file of `name`, after checking its bytes hash to `sha256`; else
    ArchiveDamaged saying which file, where, and what to do."""
    path = located(archive, recorded)
    where = f"'{printable(name)}' (sha256 {sha256[:12]}...)"
    advice = ("restore it from a backup of the home; nothing was decided again from it and "
              "its earlier decision is kept")
    if path is None:
        raise ArchiveDamaged(f"archive: {where} has no archived file: {advice}")
    inside = f"archive/{stored(str(path))}"
    try:
        found = sha256_of(path)
    except FileNotFoundError:
        raise ArchiveDamaged(f"archive damaged: {where} is missing from {inside}: "
                             f"{advice}") from None
    except OSError as error:
        raise ArchiveDamaged(f"archive damaged: {where} at {inside} cannot be read "
                             f"({error.strerror}): {advice}") from None
    if found != sha256:
        raise ArchiveDamaged(f"archive damaged: {where} at {inside} no longer holds the bytes "
                             f"it was landed with (sha256 now {found[:12]}...): {advice}")
    return path
