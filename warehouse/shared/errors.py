"""How the warehouse's commands and runs stop: with the one line a person needs.

Expected failures (a missing folder, nothing to publish, a blocked gate, a source that
failed, another run holding the lock) raise `RunFailed`; anything else is a bug.
"""

from __future__ import annotations


class RunFailed(RuntimeError):
    """A run stopped; the message is the one line an operator needs."""


class PipelineBusy(RunFailed):
    """Another run holds the writer lock."""


class GateBlocked(RunFailed):
    """A blocking expectation failed on the marts; `summary` lists every validation."""

    def __init__(self, message: str, summary: dict):
        super().__init__(message)
        self.summary = summary
