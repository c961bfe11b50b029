"""What a run has done so far, on disk, so that the next run can finish what a crash cut off.

Publishing, keeping the publication, reviewing the run's submissions (their feedback
workbooks) and writing the run's summary page are one unit. A run writes its summary
here as soon as it has loaded anything (`home/pending/<run id>.json`), notes the
publication it is about to rename into place, and removes the file only once its page
is written. A run killed (or out of disk) in between leaves the file; the next run,
under the writer lock, finishes it (warehouse/run/pipeline.py `finish_interrupted`).

`SPF_KILL_AT` names a step boundary (see `BOUNDARIES`) at which a run kills itself with
SIGKILL: the crash tests use it to stop a real `spf run` exactly there.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from pathlib import Path

from ingest.paths import PRIVATE_DIR, Paths
from warehouse.shared.summary import RunSummary

KILL_ENV = "SPF_KILL_AT"
BOUNDARIES = ("loaded", "built", "gated", "recorded", "renamed", "kept", "sited", "reviewed",
              "reported")


def kill_point(boundary: str) -> None:
    """Die here, as kill -9 would, when $SPF_KILL_AT names this boundary (crash tests)."""
    if os.environ.get(KILL_ENV) == boundary:
        os.kill(os.getpid(), signal.SIGKILL)


def folder(paths: Paths) -> Path:
    return paths.home / "pending"


def save(paths: Paths, summary: RunSummary) -> None:
    """Write the run's summary so far, atomically (private: it names delivered files)."""
    where = folder(paths)
    where.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=where, prefix=".journal-")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(summary, handle, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, where / f"{summary['run_id']}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pending(paths: Paths) -> list[RunSummary]:
    """The summaries of runs that did not finish, oldest first (an unreadable one, cut off
    while written, is left out: the atomic write means its run had not got that far)."""
    where = folder(paths)
    found = []
    for path in sorted(where.glob("*.json")) if where.is_dir() else []:
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return found


def read(paths: Paths, run_id: str) -> dict:
    """The journal of a run, or {} when it wrote none."""
    try:
        return json.loads((folder(paths) / f"{run_id}.json").read_text())
    except (OSError, ValueError):
        return {}


def done(paths: Paths, run_id: str) -> None:
    """The run is finished: its publication kept, its submissions reviewed, its page written."""
    (folder(paths) / f"{run_id}.json").unlink(missing_ok=True)
