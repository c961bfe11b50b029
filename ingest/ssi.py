"""SSI ingest: decide each landed workbook's fate, load the rows of accepted submissions.

The same steps as project reports (`ingest/rmt.py`): land (`ingest/landing.py`), parse
(`ingest/ssi_workbook.py`), decide, gate, store. What is particular to workbooks: the
same bytes again are a `duplicate`; the same country, year and revision with other
bytes is rejected as `conflicting_redelivery`; a higher revision supersedes a lower one
in the marts. One call handles a whole batch: parsing runs in worker processes, and all
rows of the batch are written in one transaction, so a killed run leaves the state as it
was before the batch.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest import progress, raw, state
from ingest.archive import ArchiveDamaged, stored, verified
from ingest.landing import MAX_DEPTH, LandedFile, Landing, Refusal, land_directory, shown
from ingest.outcomes import Outcome, Report, apply_gate
from ingest.paths import SAMPLE_SSI_DIR
from ingest.problems import Problem
from ingest.ssi_workbook import (
    ACT_UNREADABLE,
    FORMATS,
    MAX_FILE_BYTES,
    ParsedSubmission,
    RejectedWorkbook,
    parse_workbook,
)

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

SOURCE = "ssi"
PARALLEL_FROM = 16  # below this many workbooks, starting worker processes costs more than it saves
CHUNK = 8  # workbooks a worker parses per task

Gate = Callable[[dict[str, "pd.DataFrame"]], Mapping[str, list[Problem]]]
Parsed = ParsedSubmission | tuple[list[Problem], dict]  # a submission, or (problems, identity)


@dataclass(kw_only=True)
class SsiOutcome(Outcome):
    """What became of one landed workbook."""

    landed: LandedFile
    submission: ParsedSubmission | None = None
    identity: dict = field(default_factory=dict)  # country, year and revision, when read

    key = property(lambda self: self.landed.sha256)
    unit = property(lambda self: self.submission.submission_id if self.submission else None)
    name = property(lambda self: self.landed.original_name)
    files = property(lambda self: 1)

    def review(self) -> dict:
        """The submission as the review page lists it: who, which year, what became of it."""
        return {"file": self.name, "sha256": self.key, "submission_id": self.unit,
                "country_iso3": self.identity.get("country_iso3"),
                "year": self.identity.get("reference_year"),
                "revision": self.identity.get("revision"),
                "language": self.submission.language if self.submission else None,
                "status": self.status, "problems": [str(p) for p in self.problems]}


AS = f"as {', '.join(FORMATS[:-1])} or {FORMATS[-1]}"
SEND = f"send the SSI workbook {AS}"
ADVICE = {  # what to do about an entry its landing refused, by its code; else SEND
    "link_outside_landing": f"copy the SSI workbook itself into the landing folder, {AS}",
    "broken_link": f"copy the SSI workbook itself into the landing folder, {AS}",
    "unreadable_file": "make it readable by the pipeline, or send it again",
    "too_large": "remove pictures, copies of sheets and data that are not part of the "
                 "inquiry, save it and send again",
    "too_deep": f"move the SSI workbooks it holds at most {MAX_DEPTH} folders below the "
                "landing folder",
}
KINDS = {  # what a file is, by its suffix, to say so to whoever sent it
    ".csv": "a CSV file", ".tsv": "a tab-separated text file", ".txt": "a text file",
    ".pdf": "a PDF document", ".doc": "a Word document", ".docx": "a Word document",
    ".odt": "a text document", ".rtf": "a text document", ".ppt": "a PowerPoint file",
    ".pptx": "a PowerPoint file", ".numbers": "an Apple Numbers file",
    ".zip": "a ZIP archive", ".7z": "a 7-Zip archive", ".rar": "a RAR archive",
    ".gz": "a compressed file", ".tar": "a TAR archive", ".json": "a JSON file",
    ".xml": "an XML file", ".html": "a web page", ".htm": "a web page",
    ".eml": "an e-mail", ".msg": "an e-mail", ".md": "a text file",
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".heic",
                     ".webp", ".svg"), "an image"),
}
SAMPLE_DOCUMENTATION = frozenset({"README.md"})  # beside the bundled sample workbooks


def is_workbook(name: str) -> bool:
    """Whether a file of this name goes to the parser: its suffix is a spreadsheet format."""
    return Path(name).suffix.lower() in FORMATS


def land(con: duckdb.DuckDBPyConnection, landing: Path, archive: Path,
         settle_seconds: float = 0) -> Landing:
    """Archive what is under `landing` and not recorded yet under the same name and bytes.

    Every file, so that whatever a focal point sent is recorded; `ingest` decides what
    each is, but a file over the size a workbook may have is recorded without being read.
    The bundled sample folder's README is documentation, not a delivery.
    """
    skip = SAMPLE_DOCUMENTATION if landing.resolve() == SAMPLE_SSI_DIR.resolve() else frozenset()
    before = state.landed_unchanged(con, SOURCE)
    found = land_directory(landing, archive, SOURCE, state.ssi_landed(con), FORMATS,
                           settle_seconds, skip, max_bytes=MAX_FILE_BYTES, unchanged=before)
    raw.remember_unchanged(con, SOURCE, found.unchanged, before)
    return found


def turned_away(file: LandedFile, refusal: Refusal | None = None) -> Problem | None:
    """Why a landed entry does not go to the parser, if it does not: its landing refused it
    (no bytes to read, or a name to correct first), or its name is not a spreadsheet's.
    Said to the one who sent it, the name escaped (`landing.shown`)."""
    name = shown(file.original_name)
    if refusal is not None and refusal.archived:
        return Problem(refusal.code, f"'{name}' {refusal.what}")
    if refusal is not None:
        advice = ADVICE.get(refusal.code, SEND)
        return Problem(refusal.code, f"'{name}' {refusal.what}, so nothing was archived; "
                                     f"{advice}")
    if is_workbook(file.original_name):
        return None
    suffix = Path(file.original_name).suffix.lower()
    kind = KINDS.get(suffix) or (f"a {suffix} file" if suffix else "a file with no suffix")
    return Problem("unsupported_format", f"'{name}' is {kind}; {SEND}")


def _parse_one(path: str) -> Parsed:
    """Parse one workbook; a rejection comes back as (problems, identity) so it pickles."""
    try:
        return parse_workbook(path)
    except RejectedWorkbook as rejection:
        return rejection.problems, rejection.identity
    except Exception as error:  # a parser bug must not sink the rest of the batch
        detail = shown(" ".join(str(error).split()), 200)
        return [Problem("unreadable_file", f"could not be parsed ({type(error).__name__}: "
                        f"{detail})")], {}


def _parse_many(paths: list[str]) -> list[Parsed]:
    return [_parse_one(path) for path in paths]


def _parse_alone(path: str) -> Parsed:
    """Parse one workbook in a process of its own: a file whose reading kills the process
    (calamine aborts when it cannot allocate) is rejected as unreadable, the run goes on."""
    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return pool.submit(_parse_one, path).result()
    except BrokenProcessPool:
        return [Problem("unreadable_file", "reading the file stopped the program that reads "
                        "workbooks (it asked for more memory than a workbook may take, or "
                        f"the file is damaged): {ACT_UNREADABLE}")], {}


def parse(paths: list[str]) -> list[Parsed]:
    """Parse workbooks, in worker processes when there are enough to pay for them, saying
    how far it is (ingest/progress.py).

    A worker that dies takes its pool down with every task still in it; the workbooks of
    those tasks are parsed again one by one, each in a process of its own (`_parse_alone`),
    while the others go on in a new pool. So a workbook that kills its process is rejected,
    never the end of the run, and the good ones beside it are parsed all the same.
    """
    if len(paths) < PARALLEL_FROM:
        return [_parse_one(p) for p in paths]
    parsed: dict[int, Parsed] = {}
    report_at = sorted(progress.steps(len(paths)), reverse=True)

    def done(chunk: Iterable[int], results: Iterable[Parsed]) -> None:
        parsed.update(zip(chunk, results, strict=True))
        if report_at and len(parsed) >= report_at[-1]:
            while report_at and len(parsed) >= report_at[-1]:
                report_at.pop()
            progress.advance("parsing workbooks", len(parsed), len(paths))

    workers = min(os.cpu_count() or 1, 8)
    chunks = deque(range(start, min(start + CHUNK, len(paths)))
                   for start in range(0, len(paths), CHUNK))
    alone: list[int] = []
    while chunks:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            running: dict = {}
            broken = False
            while (chunks or running) and not broken:
                while chunks and len(running) < 2 * workers and not broken:
                    chunk = chunks.popleft()
                    try:
                        running[pool.submit(_parse_many, [paths[i] for i in chunk])] = chunk
                    except BrokenProcessPool:
                        alone.extend(chunk)
                        broken = True
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    chunk = running.pop(future)
                    try:
                        done(chunk, future.result())
                    except BrokenProcessPool:
                        alone.extend(chunk)
                        broken = True
            for future, chunk in running.items():  # the pool went down with them
                if future.done() and not future.cancelled() and future.exception() is None:
                    done(chunk, future.result())
                else:
                    alone.extend(chunk)
    for i in alone:
        done([i], [_parse_alone(paths[i])])
    return [parsed[i] for i in range(len(paths))]


def _parse_and(paths: list[str], meanwhile: Callable[[], None] | None) -> list[Parsed]:
    """`parse(paths)`, calling `meanwhile` in this thread while a second one waits on the
    parsing processes: the gate's imports (Great Expectations, 3-4 s in a new process) are
    done by the time the batch is parsed, instead of after it. The second thread runs in
    this one's context, so Prefect's progress artifacts and logs still find their run."""
    if not paths or meanwhile is None or len(paths) < PARALLEL_FROM:
        return parse(paths)
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="parse") as pool:
        parsing = pool.submit(contextvars.copy_context().run, parse, paths)
        try:
            meanwhile()
        finally:
            parsed = parsing.result()
    return parsed


def decide(landed: list[LandedFile], parsed: dict[str, Parsed],
           loaded_identities: dict[tuple, tuple[str, str]],
           processed: dict[str, tuple[str, str]],
           unparsed: Mapping[tuple[str, str], Problem] | None = None) -> list[SsiOutcome]:
    """Give every new landing its status: duplicate, rejected or loaded.

    `parsed` maps sha256 to what `parse` made of the file; `loaded_identities` maps
    (iso3, year, revision) to (sha256, original_name) of what is already loaded;
    `processed` maps sha256 to (status, original_name) of files already seen; `unparsed`
    maps (sha256, original_name) of entries that are no workbook to why (`turned_away`):
    those are rejected, whatever else has their bytes, and are nobody's first copy. Files
    are decided in the order given so the outcome is reproducible.
    """
    identities = dict(loaded_identities)
    seen = dict(processed)
    outcomes = []
    for file in landed:
        problem = (unparsed or {}).get((file.sha256, file.original_name))
        if problem is not None:
            outcomes.append(SsiOutcome(landed=file, status="rejected", problems=[problem]))
            continue
        if file.sha256 in seen:
            status, first_name = seen[file.sha256]
            outcomes.append(SsiOutcome(landed=file, status="duplicate", note=(
                f"same bytes as '{shown(first_name)}' ({status}); nothing new to load")))
            continue
        result = parsed[file.sha256]
        if not isinstance(result, ParsedSubmission):
            problems, identity = result
            outcomes.append(SsiOutcome(landed=file, status="rejected", problems=problems,
                                       identity=identity))
            seen[file.sha256] = ("rejected", file.original_name)
            continue
        key = (result.country_iso3, result.reference_year, result.revision)
        if key in identities and identities[key][0] != file.sha256:
            other = identities[key][1]
            problem = Problem("conflicting_redelivery", (
                f"{result.country_iso3} {result.reference_year} revision {result.revision} "
                f"was already loaded from '{shown(other)}' with different content; send a "
                f"correction as revision {result.revision + 1}"))
            outcomes.append(SsiOutcome(landed=file, status="rejected", problems=[problem],
                                       identity=result.identity))
            seen[file.sha256] = ("rejected", file.original_name)
            continue
        identities[key] = (file.sha256, file.original_name)
        seen[file.sha256] = ("loaded", file.original_name)
        outcomes.append(SsiOutcome(landed=file, status="loaded", submission=result,
                                   identity=result.identity))
    return outcomes


def table_frames(outcomes: Iterable[SsiOutcome]) -> dict[str, pd.DataFrame]:
    """The parsed rows of loaded outcomes, one frame per table, ready to validate and insert.

    The rows move into the frames: each submission's `tables` is emptied on the way, so
    that a batch of thousands of workbooks is held once, not three times (parsed, with
    its lineage, and framed), while it is gated and stored."""
    import pandas as pd

    rows: dict[str, list[dict]] = {table: [] for table in raw.SSI_TABLES}
    for outcome in outcomes:
        sub = outcome.submission
        if outcome.status != "loaded" or sub is None:
            continue
        lineage = {"submission_id": sub.submission_id, "sha256": outcome.landed.sha256}
        tables, sub.tables = sub.tables, {}
        for table, table_rows in tables.items():
            rows[table].extend({**lineage, **row} for row in table_rows)
    return {table: pd.DataFrame.from_records(rows.pop(table)) for table in list(rows)}


def store(con: duckdb.DuckDBPyConnection, outcomes: list[SsiOutcome], run_id: str,
          frames: dict[str, pd.DataFrame], replace: set[str] = frozenset()) -> None:
    """Write the batch's files, submissions and rows in one transaction.

    `frames`: the batch's rows as `table_frames` made them for the gate, of which those
    of outcomes still loaded after it are stored. Rows of the files in `replace` (sha256)
    are removed first, so a re-processed file ends with exactly one outcome and one set of
    rows.
    """
    files = [{
        **{k: v for k, v in asdict(o.landed).items() if k != "source"},
        "archive_path": stored(o.landed.archive_path),
        "status": o.status, "reason_code": o.reason_code, "reason_message": o.reason_message,
        "problems": json.dumps([p.to_json() for p in o.problems]) if o.problems else None,
        "submission_id": o.unit, **o.identity, "run_id": run_id,
    } for o in outcomes]
    loaded = [o for o in outcomes if o.status == "loaded"]
    submissions = [{
        "submission_id": o.unit, "sha256": o.key, **o.submission.identity,
        "language": o.submission.language, **o.submission.cover,
        "sheets": o.submission.sheets, "run_id": run_id,
    } for o in loaded]
    cover = [{"submission_id": o.unit, "sha256": o.key, **cell}
             for o in loaded for cell in o.submission.cover_cells]
    kept = {o.unit for o in loaded}
    frames = {table: frame[frame.submission_id.isin(kept)] if len(frame) else frame
              for table, frame in frames.items()}
    raw.write_batch(
        con, [("raw.ssi_files", files), ("raw.ssi_submissions", submissions),
              ("raw.ssi_cover", cover),
              *((f"raw.ssi_{table}", frame) for table, frame in frames.items())],
        replace=[f"raw.ssi_{t}" for t in ("files", "submissions", "cover", *raw.SSI_TABLES)],
        key="sha256", keys=replace)


def ingest(con: duckdb.DuckDBPyConnection, landed: list[LandedFile], run_id: str,
           gate: Gate | None = None, redo: set[str] = frozenset(),
           accepted: Mapping[str, str] | None = None,
           refused: Mapping[tuple[str, str], Refusal] | None = None) -> Report:
    """Decide, gate and store archived files, in the order given.

    `redo` holds the sha256 of files decided before (a release after a fix, a backfill):
    their earlier outcome and rows are replaced, in the same transaction, by the new ones,
    so `landed` must list every name recorded for them. `accepted` maps the sha256 of
    files a statistician accepted despite the gate to the reason they gave. `refused`
    holds the entries their landing could not archive (`Landing.refused`); they, and
    files whose name is not a spreadsheet's, are rejected without being parsed.
    """
    if not landed:
        return Report([])
    landed, redo, damaged = _intact(landed, redo)
    unparsed = {(f.sha256, f.original_name): problem for f in landed if (problem := turned_away(
        f, (refused or {}).get((f.sha256, f.original_name)))) is not None}
    processed = state.ssi_first_outcomes(con, redo)
    to_parse = sorted({f.sha256: f.archive_path for f in landed
                       if f.sha256 not in processed
                       and (f.sha256, f.original_name) not in unparsed}.items())
    parsed = dict(zip([sha for sha, _ in to_parse], _parse_and(
        [path for _, path in to_parse], getattr(gate, "prepare", None)), strict=True))
    outcomes = decide(landed, parsed, state.ssi_loaded_identities(con, redo), processed,
                      unparsed)
    frames = table_frames(outcomes)
    checked = gate({t: f.copy(deep=False) for t, f in frames.items()}) if gate is not None \
        else {}  # the gate's own copies: what it adds to them is not stored
    apply_gate(outcomes, checked, accepted or {})
    store(con, outcomes, run_id, frames, replace=redo)
    return Report(outcomes, damaged=damaged, reread={o.key for o in outcomes if o.key in redo})


def _intact(landed: list[LandedFile], redo: set[str]
            ) -> tuple[list[LandedFile], set[str], list[str]]:
    """The files to decide again whose archived bytes still hash to their sha256, and why
    the others are left as they were decided (ingest/archive.py)."""
    damaged: dict[str, str] = {}
    for file in landed:
        if file.sha256 in redo and file.sha256 not in damaged and file.archive_path:
            try:
                verified(Path(file.archive_path).parents[2], file.archive_path, file.sha256,
                         file.original_name)
            except ArchiveDamaged as error:
                damaged[file.sha256] = str(error)
    if not damaged:
        return landed, redo, []
    return ([f for f in landed if f.sha256 not in damaged], set(redo) - set(damaged),
            list(damaged.values()))


def ingest_landing(con: duckdb.DuckDBPyConnection, landing: Path, archive: Path, run_id: str,
                   gate: Gate | None = None, settle_seconds: float = 0) -> Report:
    """Land, parse, gate and load every new SSI workbook under `landing`; record everything
    else found there as rejected, and say what was ignored or left for the next run."""
    found = land(con, landing, archive, settle_seconds)
    return with_landing(ingest(con, found.files, run_id, gate, refused=found.refused), found)


def with_landing(report: Report, found: Landing | None) -> Report:
    """The report, with what its landing ignored and left for the next run."""
    if found is not None:
        report.ignored = list(found.ignored)
        report.deferred = list(found.deferred)
    return report


def release(con: duckdb.DuckDBPyConnection, key: str, run_id: str, archive: Path,
            gate: Gate | None = None, note: str | None = None) -> Report:
    """Re-decide one quarantined file from the archive, by original name or sha256 prefix.

    With a gate, the file is validated again (after a suite or parser fix); without one
    (a statistician reviewed and accepted the figures, `note` says why), it loads as it is.
    """
    matches = {f.sha256 for f in state.ssi_archived(
        con, archive, "status = 'quarantined' and (original_name = ? or starts_with(sha256, ?))",
        [key, key.lower()])}
    if not matches:
        raise LookupError(f"no quarantined SSI file matches {key!r}; see `spf status`")
    if len(matches) > 1:
        raise LookupError(f"{key!r} matches several files; give more of the sha256")
    sha = matches.pop()
    accepted = {} if gate is not None else {sha: note or "accepted after review"}
    report = ingest(con, state.ssi_archived(con, archive, "sha256 = ?", [sha]), run_id,
                    gate=gate, redo={sha}, accepted=accepted)
    if report.damaged:
        raise ArchiveDamaged(report.damaged[0])
    return report


def reprocess(con: duckdb.DuckDBPyConnection, run_id: str, archive: Path, found: Landing | None,
              years: tuple[int, int] | None, countries: list[str] | None, reread: bool,
              gate: Gate | None = None) -> Report:
    """Re-decide archived SSI files of a scope, oldest delivery first, plus what `found`
    landed (if a landing folder was given).

    The scope is the recorded country and year of each file's bytes (`state.ssi_in_scope`):
    a backfill of SEN 2022 touches nothing of KHM 2019, not even a copy of it. Entries
    turned away before parsing (a folder, a link, a CSV file) keep their decision, unless
    a workbook has their bytes. Files a statistician accepted stay accepted. A file whose
    archived bytes no longer match its hash keeps its decision (`Report.damaged`).
    """
    shas = state.ssi_in_scope(con, years, [c.upper() for c in countries] if countries else None
                              ) if reread else []
    # Every name recorded for those bytes: their rows are replaced as a whole.
    files = [f for f in state.ssi_archived(con, archive, "list_contains(?, sha256)", [shas])
             if f.archive_path] if shas else []
    new = found.files if found is not None else []
    return with_landing(ingest(con, files + new, run_id, gate=gate,
                               redo={f.sha256 for f in files}, accepted=state.ssi_accepted(con),
                               refused=found.refused if found is not None else None), found)
