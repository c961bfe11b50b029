"""Progress of long steps (landing and parsing thousands of workbooks), for whoever watches.

The steps say how far they are with `advance`; what shows it is installed around a run
with `reporting`: a progress bar on a terminal (warehouse/cli.py), a Prefect progress
artifact in the UI (flows/). Without one, `advance` does nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Reporter = Callable[[str, int, int], None]  # (what, done, total)
_reporters: list[Reporter] = []


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Show the progress of the steps run inside this block with `reporter`."""
    _reporters.append(reporter)
    try:
        yield
    finally:
        _reporters.remove(reporter)


def advance(what: str, done: int, total: int) -> None:
    """Say that `done` of `total` items of `what` are done."""
    for reporter in _reporters:
        reporter(what, done, total)


def steps(total: int, every: float = 0.02) -> set[int]:
    """The counts at which to report `total` items: about every 2 %, and the last."""
    stride = max(1, int(total * every))
    return set(range(stride, total, stride)) | {total}
