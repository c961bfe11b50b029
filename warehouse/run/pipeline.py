"""The two runs, nightly and backfill, as plain functions over their steps.

A run takes the one-writer lock, loads what each source brings (its steps, registered in
`warehouse/sources/`),
then rebuilds, gates and publishes the marts (`warehouse/run/steps.py`), and always leaves
a summary page. The flows (`flows/`) call these with an `Orchestration` that runs each
step as a Prefect task; without one, the steps are plain calls, as the tests run them.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ingest.paths import Paths, make_private, resolve
from ingest.reference import COUNTRY_CODES
from warehouse.publication import records
from warehouse.review import pages as review_pages
from warehouse.review import submissions
from warehouse.run import journal, report, steps
from warehouse.run.steps import BuildOptions
from warehouse.shared.errors import GateBlocked, RunFailed
from warehouse.shared.lock import discard_stale_builds, new_run_id, writer_lock
from warehouse.shared.summary import RunSummary, Scope
from warehouse.site import place
from warehouse.sources.registry import SOURCES, FetchPages, Inputs, nightly_inputs

SETTLE_ENV = "SPF_SETTLE_SECONDS"
# Failures a run expects and says in one line (see warehouse/shared/errors.py), with those
# of its sources (the RMT API failing for good); a traceback is for anything else, a bug.
EXPECTED_FAILURES = (RunFailed, *(f for s in SOURCES.values() for f in s.failures))


class ExpectedFailureTracebacks(logging.Filter):
    """Leaves out the traceback of a log record about an expected failure, keeping its line.

    The flows put it on the loggers of their orchestrator, which log every exception a run
    or a step raises with its traceback, to the terminal and to the API alike.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED_FAILURES):
            record.exc_info = None
            record.exc_text = None
        return True


EXPECTED_FAILURE_TRACEBACKS = ExpectedFailureTracebacks()


def without_expected_tracebacks(*loggers: str) -> None:
    """Keep tracebacks of expected failures out of these loggers' records (idempotent)."""
    for name in loggers:
        logging.getLogger(name).addFilter(EXPECTED_FAILURE_TRACEBACKS)


def settle_time(given: float | None) -> float:
    """The settle time of a run's landing: as given, else $SPF_SETTLE_SECONDS, else 0 (off).

    A file changed less than this many seconds ago is left for the next run.
    """
    if given is None:
        text = os.environ.get(SETTLE_ENV, "").strip()
        if not text:
            return 0.0
        try:
            given = float(text)
        except ValueError:
            raise RunFailed(f"${SETTLE_ENV} is {text!r}: expected a number of seconds, "
                            "e.g. 60") from None
    if not math.isfinite(given) or given < 0:
        raise RunFailed(f"settle time {given:g} s: expected 0 or more seconds")
    return float(given)


def step(how: Orchestration, summary: RunSummary, function: Callable, *args, **kwargs):
    """Run one step of a run as `how` runs steps, timing it into the summary: its seconds
    and the process's peak memory so far (`make bench` reads them)."""
    start = time.monotonic()
    try:
        return how.run(function, *args, **kwargs)
    finally:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        summary.setdefault("timings", {})[function.__name__] = {
            "seconds": round(time.monotonic() - start, 3), "peak_rss_mib": peak}


def call(step: Callable, *args, **kwargs):
    """Run a step as a plain function call."""
    return step(*args, **kwargs)


def write_report(paths: Paths, summary: RunSummary) -> str:
    """Write the run's summary page beside the Data Docs, and the index of runs; return its
    path. A run that published or reviewed submissions first writes the review (its open
    items, one page each); a night with nothing new, or a failed run, leaves it as it is."""
    report.write_record(summary, paths.docs)  # what the review's pages and the index read
    if summary["published"] or summary.get("review"):
        try:
            review_pages.write_review(paths)
        except Exception:  # the run's own page must still be written
            logging.getLogger("spf").exception("the review page could not be written")
    return str(report.write_html(summary, paths.docs))


@dataclass(frozen=True)
class Orchestration:
    """How a run's steps are run: by default plain calls; the flows pass Prefect's."""

    run: Callable = call  # run(step, *args): one step of the run
    fetch_pages: FetchPages | None = None  # the API client, with its retries
    report: Callable[[Paths, RunSummary], str] = write_report
    log: logging.Logger | logging.LoggerAdapter = logging.getLogger("spf")


@contextlib.contextmanager
def run_frame(warehouse: str | None, kind: str, how: Orchestration
              ) -> Iterator[tuple[Paths, str, RunSummary]]:
    """One writer at a time, a summary that always gets reported, and a clear failure.

    Yields the run's paths, id and summary; the body fills the summary in. A run refused
    because another holds the lock writes nothing. The run first finishes what an earlier
    run left undone (warehouse/run/journal.py), and keeps its own journal until its
    publication is kept, its submissions reviewed and its page written.
    """
    paths = resolve(warehouse)
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, kind=kind, warehouse=str(paths.warehouse),
                         published=False)
    with writer_lock(paths):
        try:
            make_private(paths)
            stale = discard_stale_builds(paths)
            if stale:
                how.log.warning("removed builds left by an interrupted run: %s", ", ".join(stale))
            finish_interrupted(paths, run_id, how)
            if not place.is_current(paths):  # a crash came between a publication and its site
                summary["site"] = step(how, summary, place.write_site, paths)
            yield paths, run_id, summary
            fail_if_a_source_failed(summary)
        except Exception as error:
            summary["error"] = str(error)
            raise
        finally:
            summary["report"] = step(how, summary, how.report, paths, summary)
            journal.kill_point("reported")
            pending = journal.read(paths, run_id).get("pending_publication")
            if is_finished(summary, pending):
                journal.done(paths, run_id)
            else:  # the next run finishes it, from what this one knew at its end
                journal.save(paths, {**summary, "pending_publication": pending})


def _to_review(summary: RunSummary) -> bool:
    """Whether the run brought deliveries statisticians review one by one (not duplicates)."""
    return any(s["status"] != "duplicate" for source in SOURCES.values() if source.reviewed
               for s in summary.get(source.name, {}).get("submissions", []))


def is_finished(summary: RunSummary, pending_publication: str | None) -> bool:
    """Whether nothing of a run is left to do: the publication it was renaming into place
    (`pending_publication`) is kept, which publish_marts returning says, and its submissions
    are reviewed, or it has none."""
    return (not pending_publication or summary["published"]) and \
        (not _to_review(summary) or "review" in summary)


def published_id(paths: Paths) -> str | None:
    """The id of the publication in place (warehouse/publication/)."""
    rows = records.history(paths.warehouse, lists=False) if paths.warehouse.exists() else []
    return rows[-1]["publication_id"] if rows else None


def finish_interrupted(paths: Paths, run_id: str, how: Orchestration,
                       after_publishing: bool = False) -> None:
    """Finish the runs that a crash (kill -9, a full disk) cut off, from their journals.

    One whose publication was renamed into place gets it kept and compared, its dbt
    documentation, its submissions reviewed and its page written, before this run
    publishes anything on top. One that stopped before its rename has its loads in the
    state, which this run publishes: `after_publishing`, its submissions are reviewed on
    that publication and its page written.
    """
    current = published_id(paths)
    for earlier in journal.pending(paths):
        if earlier["run_id"] == run_id:
            continue
        pid = earlier.get("pending_publication")
        if pid and not earlier["published"] and pid == current:
            earlier["publication"] = steps.after_publishing(
                paths, pid, earlier.get("keep_publications"))
            earlier["published"] = True
        elif not earlier["published"] and not after_publishing:
            continue
        if _to_review(earlier) and "review" not in earlier and paths.warehouse.exists():
            earlier["review"] = submissions.review_submissions(paths, earlier)
        earlier["finished_by"] = run_id
        how.log.warning("finished run %s, interrupted before: %s", earlier["run_id"],
                        "its publication kept, submissions reviewed, page written"
                        if earlier["published"] else "its submissions reviewed on this "
                        "run's publication, page written")
        how.report(paths, earlier)
        journal.done(paths, earlier["run_id"])


def fail_if_a_source_failed(summary: RunSummary) -> None:
    """After publishing the rest, fail the run when a fetch from the API failed for good, or
    an archived delivery could not be read again as it was landed."""
    for source in SOURCES.values():
        error = summary.get(source.name, {}).get("error")
        if error:
            raise RunFailed(f"{source.failed}: {error} (the rest of the run was published; "
                            "the next run fetches them again)")
    damaged = [d for source in SOURCES for d in summary.get(source, {}).get("damaged", [])]
    if damaged:
        more = f" (and {len(damaged) - 1} more: see the run summary)" if len(damaged) > 1 else ""
        raise RunFailed(f"{damaged[0]}{more}; the rest of the run was published")


def rebuild_and_publish(paths: Paths, run_id: str, summary: RunSummary, how: Orchestration,
                        force: bool, options: BuildOptions) -> None:
    """Build, gate and publish the marts, unless nothing changed (and `force` is off); then
    review the run's submissions on what was published."""
    try:
        steps.ensure_something_to_publish(
            paths, [r for source in SOURCES for r in summary.get(source, {}).get("rejected", [])])
    except RunFailed as nothing:
        left = "; ".join(filter(None, (report.left_for_next_run(summary[source])
                                       for source in SOURCES if source in summary)))
        if left:
            raise RunFailed(f"{nothing}; {left}") from None
        raise
    if not force and steps.is_current(paths, options):
        how.log.info("nothing new since the last publication; warehouse unchanged")
        return
    journal.save(paths, summary)
    journal.kill_point("loaded")
    try:
        summary["build"] = step(how, summary, steps.build_marts, paths, run_id, options,
                                full=force)
        journal.kill_point("built")
        summary["marts_gate"] = step(how, summary, steps.validate_marts, paths, run_id,
                                     summary["build"]["rebuilt"])
        journal.kill_point("gated")
        summary["keep_publications"] = options.keep_publications
        summary["publication"] = step(how, summary, steps.publish_marts, paths, run_id,
                                      summary["kind"], options, dict(summary))
        summary["published"] = True
        journal.kill_point("kept")
    except GateBlocked as blocked:
        summary["marts_gate"] = blocked.summary
        raise
    finally:
        steps.discard_build(paths)
    summary["site"] = step(how, summary, place.write_site, paths)
    journal.kill_point("sited")
    if _to_review(summary):
        summary["review"] = step(how, summary, submissions.review_submissions, paths, summary)
        journal.kill_point("reviewed")
    finish_interrupted(paths, run_id, how, after_publishing=True)


def nightly(warehouse: str | None = None, landing: str | None = None,
            rmt_dir: str | None = None, rmt_url: str | None = None,
            how: Orchestration = Orchestration(), settle_seconds: float | None = None,
            reporting_date: str | None = None, population: str | None = None,
            keep_publications: int | None = None, inputs: dict | None = None) -> RunSummary:
    """Load what is new in the sources, then rebuild, gate and publish if anything changed.

    `landing` (SSI workbooks), `rmt_dir` and `rmt_url` (project reports), and in `inputs`
    the options of any other registered source, say where each source is read from; a run
    given none reads the bundled sample of every source. `settle_seconds` (default
    $SPF_SETTLE_SECONDS, else off) leaves files of a landing folder changed less than that
    long ago for the next run. `reporting_date` (YYYY-MM-DD, default today) is the date
    results are reported as of; `population` an official population file to weigh regional
    shares (default: one placed in the home's `population/` folder, else the bundled World
    Bank seed); `keep_publications` how many publications stay in the home (default
    $SPF_KEEP_PUBLICATIONS, else 14).
    """
    with run_frame(warehouse, "nightly", how) as (paths, run_id, summary):
        given = {"landing": landing, "rmt_dir": rmt_dir, "rmt_url": rmt_url, **(inputs or {})}
        sources = nightly_inputs(given, settle_time(settle_seconds), how.fetch_pages)
        options = BuildOptions.resolve(paths, reporting_date, population, keep_publications)
        for source in SOURCES.values():
            if source.is_given(sources):
                summary[source.name] = step(how, summary, source.ingest, paths, run_id,
                                            sources)
        rebuild_and_publish(paths, run_id, summary, how, force=False, options=options)
    return summary


def backfill_scope(years_from: int | None, years_to: int | None, countries: list[str] | None,
                   sources: list[str]) -> Scope:
    """Check and normalise a backfill's scope; an operator's mistake stops it before any work."""
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown or not sources:
        raise RunFailed(f"unknown source(s) {unknown or sources}: use "
                        f"{', '.join(SOURCES)} or several")
    if years_from is not None and years_to is not None and years_from > years_to:
        raise RunFailed(f"years from {years_from} to {years_to}: the range is empty")
    codes = sorted({c.strip().upper() for c in countries or [] if c.strip()})
    wrong = [c for c in codes if c not in COUNTRY_CODES]
    if wrong:
        raise RunFailed(f"not ISO 3166-1 alpha-3 country codes: {', '.join(wrong)}")
    return Scope(years=[years_from, years_to] if years_from or years_to else None,
                 countries=codes or None, sources=sorted(set(sources)))


def backfill(warehouse: str | None = None, years_from: int | None = None,
             years_to: int | None = None, countries: list[str] | None = None,
             sources: list[str] | None = None, reread: bool = True,
             landing: str | None = None, rmt_dir: str | None = None,
             rmt_url: str | None = None, how: Orchestration = Orchestration(),
             settle_seconds: float | None = None, reporting_date: str | None = None,
             population: str | None = None, keep_publications: int | None = None,
             inputs: dict | None = None) -> RunSummary:
    """Re-decide the archived deliveries of a scope, add what the sources bring, then rebuild,
    gate and publish, even when nothing changed (a method may have). `sources` default to
    every registered one; the others are as in `nightly`."""
    with run_frame(warehouse, "backfill", how) as (paths, run_id, summary):
        scope = backfill_scope(years_from, years_to, countries, list(sources or SOURCES))
        given = {"landing": landing, "rmt_dir": rmt_dir, "rmt_url": rmt_url, **(inputs or {})}
        new = Inputs(given, settle_time(settle_seconds), how.fetch_pages)
        options = BuildOptions.resolve(paths, reporting_date, population, keep_publications)
        summary["scope"] = {**scope, "reread": reread}
        for source in SOURCES.values():
            if source.name in scope["sources"]:
                summary[source.name] = step(how, summary, source.reprocess, paths, run_id,
                                            scope, reread, new)
        rebuild_and_publish(paths, run_id, summary, how, force=True, options=options)
    return summary
