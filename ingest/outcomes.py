"""What became of each delivery, in the one shape both sources share.

A delivery is an SSI workbook or an RMT fetch. Each source decides its deliveries
(`ingest/ssi.py`, `ingest/rmt.py`), a quality gate may quarantine what it decided to
load, a statistician may accept a quarantined one, and the batch is stored. The
outcomes of a batch make a `Report`, which the run summary reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from ingest.problems import Problem, describe

ACCEPTED_AFTER_REVIEW = "accepted_after_review"
NOT_LOADED = ("rejected", "quarantined", "failed")


@dataclass(kw_only=True)
class Outcome:
    """What became of one delivery.

    `status` is loaded, duplicate or unchanged (nothing new), or one of NOT_LOADED;
    `note` says why a loaded delivery skipped its gate (a statistician's reason) or why
    nothing was loaded (a duplicate). Each source adds what it knows of its delivery.
    """

    status: str
    problems: list[Problem] = field(default_factory=list)
    note: str | None = None

    @property
    def key(self) -> str:
        """The delivery's identity in the state (a file's sha256, a fetch id)."""
        raise NotImplementedError

    @property
    def unit(self) -> str | None:
        """What the gate names it by (a submission id, a fetch id); None when unparsed."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """How operators know it: the file's name, the fetch's origin."""
        raise NotImplementedError

    @property
    def files(self) -> int:
        """Files it landed (one workbook; the pages of a fetch)."""
        raise NotImplementedError

    def review(self) -> dict | None:
        """What a statistician reviews of this delivery in the run summary (None: nothing
        beyond its status and reason)."""
        return None

    @property
    def reason_code(self) -> str | None:
        if self.problems:
            return self.problems[0].code
        return ACCEPTED_AFTER_REVIEW if self.status == "loaded" and self.note else None

    @property
    def reason_message(self) -> str | None:
        return describe(self.problems) if self.problems else self.note


def apply_gate(outcomes: list[Outcome], failures: Mapping[str, list[Problem]],
               accepted: Mapping[str, str]) -> None:
    """Quarantine each loaded delivery whose unit failed a blocking expectation.

    `accepted` maps the keys of deliveries a statistician accepted to their reason:
    those load whatever the gate says, and keep the reason as their note.
    """
    for outcome in outcomes:
        if outcome.status != "loaded":
            continue
        if outcome.key in accepted:
            outcome.note = accepted[outcome.key]
        elif outcome.unit in failures:
            outcome.status = "quarantined"
            outcome.problems = failures[outcome.unit]


@dataclass
class Report:
    """The outcomes of one batch of a source, and why the source failed, if it did."""

    outcomes: list[Outcome]
    error: str | None = None  # the source did not deliver (e.g. the API refused the token)
    ignored: list[str] = field(default_factory=list)  # landing: lock files and hidden files
    deferred: list[tuple[str, str]] = field(default_factory=list)  # landing: (name, why) left
    # for the next run (still being written, younger than the settle time)
    damaged: list[str] = field(default_factory=list)  # archived deliveries not decided again:
    # their bytes no longer match their hash (ingest/archive.py); their decision is kept
    reread: set[str] = field(default_factory=set)  # keys of deliveries decided again from
    # the archive (a backfill, a release), as against new ones

    def counts(self, reread: bool = False) -> dict[str, int]:
        """Deliveries by status: the new ones, or (`reread`) those read again."""
        return dict(Counter(o.status for o in self.outcomes
                            if (o.key in self.reread) == reread))

    def not_loaded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in NOT_LOADED]

    def __add__(self, other: Report) -> Report:
        return Report(self.outcomes + other.outcomes, self.error or other.error,
                      self.ignored + other.ignored, self.deferred + other.deferred,
                      self.damaged + other.damaged, self.reread | other.reread)
