"""The source gate: a batch's parsed tables against its source's `<source>__<table>` suites.

Both sources are gated the same way. A blocking failure quarantines the *unit* whose rows
failed: a submission of an SSI batch, a whole RMT fetch (all or nothing); a failure that
names no rows (a table-level expectation) quarantines every unit in the table. What is
particular to each source is in its `SourceSuites`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expectations.gates import GateResult, Gates
from ingest import population
from ingest.problems import Problem
from ingest.rmt_versions import VERSION_KEY

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

def _rmt_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Project-report rows as the `rmt__*` suites see them: dates also as years (which GX
    compares reliably), no lists or JSON documents, `updated_at` (part of every row's key)
    as epoch microseconds."""
    import pandas as pd

    frame = frame.assign(updated_at=frame.updated_at.astype("datetime64[us, UTC]")
                         .astype("int64"))
    for column, year in RMT_DATES.items():
        if column in frame.columns:
            frame[year] = pd.array([d.year if d is not None and d == d else None
                                    for d in frame[column]], dtype="Int64")
    return frame.drop(columns=[c for c in RMT_UNCHECKED if c in frame.columns])


RMT_DATES = {"start_date": "start_year", "achieved_on": "achieved_year", "as_of": "as_of_year",
             "expected_date": "expected_year", "output_date": "output_year"}
RMT_UNCHECKED = ("document", "thematic_areas", "branches", "partners")


@dataclass(frozen=True)
class SourceSuites:
    """How one source's rows meet its suites."""

    source: str  # suites are named `<source>__<table>`
    unit: str  # the column naming what a blocking failure quarantines
    index: tuple[str, ...]  # the columns that identify a failing row (unit first)
    row: str  # the column a problem quotes to say which rows failed
    row_prefix: str = ""
    rows_shown: int | None = None  # quote at most this many, then " ..."
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # the rows as suites see them
    label: str = ""  # what one unit is called in Data Docs ("SSI submission")

    def describe(self, units: list) -> str:
        """What a batch of rows holds, as its Data Docs page names it: "SSI submission
        KHM-2019-r1", "3 SSI submissions: CMR-2019-r1, CMR-2022-r1, CPV-2019-r1"."""
        units = sorted(str(u) for u in units)
        if len(units) == 1:
            return f"{self.label} {units[0]}"
        shown = ", ".join(units[:UNITS_NAMED])
        more = f" and {len(units) - UNITS_NAMED} more" if len(units) > UNITS_NAMED else ""
        return f"{len(units)} {self.label}s: {shown}{more}"


UNITS_NAMED = 12  # a page title names at most this many of its batch's units


SSI = SourceSuites("ssi", unit="submission_id", index=("submission_id", "source_row"),
                   row="source_row", row_prefix="rows ", label="SSI submission")
RMT = SourceSuites("rmt", unit="fetch_id", index=("fetch_id", *VERSION_KEY),
                   row="intervention_id", rows_shown=5, prepare=_rmt_rows, label="RMT fetch")
POPULATION = SourceSuites(population.ARCHIVE_SOURCE, unit=population.GATE_UNIT,
                          index=population.GATE_INDEX, row=population.GATE_ROW,
                          row_prefix="rows ", rows_shown=10, label="population file")


class SourceGate:
    """Validates batches of one source, one checkpoint per table, keeping every result.

    Called with a batch's frames (table -> rows), it returns the problems of each unit
    that failed a blocking expectation; `results` holds every validation, for the run
    summary and its links to Data Docs.
    """

    def __init__(self, gates: Gates, suites: SourceSuites, run_name: str):
        self.gates = gates
        self.suites = suites
        self.run_name = run_name
        self.results: list[GateResult] = []

    def prepare(self) -> None:
        """Open the Great Expectations context now (importing it takes 3-4 s in a new
        process): a caller with nothing else to do meanwhile, such as waiting on the
        processes that parse a batch, calls it first."""
        self.gates.context  # noqa: B018  (computed once, then kept)

    def __call__(self, frames: dict[str, pd.DataFrame]) -> dict[str, list[Problem]]:
        spec = self.suites
        batches = [(f"{spec.source}__{table}", spec.prepare(frame) if spec.prepare else frame,
                    list(spec.index), spec.describe(frame[spec.unit].dropna().unique().tolist()))
                   for table, frame in frames.items() if not frame.empty]
        results = self.gates.validate_all(batches, self.run_name)
        self.results.extend(results)
        failures: dict[str, list[Problem]] = {}
        for (_, frame, _, _), result in zip(batches, results, strict=True):
            table = result.suite.removeprefix(f"{spec.source}__")
            for failure in result.failures:
                units = {r.get(spec.unit) for r in failure.rows} or set(frame[spec.unit])
                for unit in sorted(units):
                    rows = sorted({r[spec.row] for r in failure.rows
                                   if r.get(spec.unit) == unit and r.get(spec.row) is not None})
                    said = f"{self._where(rows)}{failure.describe()}"
                    result.by_unit.setdefault(str(unit), []).append(said)
                    if failure.blocking:
                        failures.setdefault(unit, []).append(Problem(
                            "failed_expectation", said, table=table))
        return failures

    def _where(self, rows: list) -> str:
        """The failing rows as a problem names them, e.g. `rows 4, 7: `."""
        if not rows:
            return ""
        shown = rows[:self.suites.rows_shown] if self.suites.rows_shown else rows
        more = " ..." if len(rows) > len(shown) else ""
        return f"{self.suites.row_prefix}{', '.join(map(str, shown))}{more}: "
