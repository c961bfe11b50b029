"""The run summary: what a run loaded, turned away, validated and published, in one shape.

Every step adds its part; the flows return the whole as a plain, JSON-able mapping (a
Prefect result), `warehouse/run/report.py` renders it for the terminal, the HTML page and
the Prefect artifact.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from expectations.gates import GateResult
from ingest.outcomes import Report


class MartChanges(TypedDict):
    rows_before: int
    rows: int
    added: int | None  # None: the mart has no key to match rows on (changed or not: checksum)
    removed: int | None
    changed: int | None


class PublicationChanges(TypedDict):
    """What a publication changed, for the run summary."""

    from_publication: str | None
    to_publication: str | None
    marts: dict[str, MartChanges]  # every mart of the new publication
    highlights: dict[str, list[str]]  # coverage and results marts: largest changes, in words
    error: NotRequired[str]  # after_publication: why there is no summary


class Rejection(TypedDict):
    """A delivery that did not load, and why."""

    file: str
    status: str
    reason_code: str | None
    reason: str | None


class Deferral(TypedDict):
    """A file of the landing folder left for the next run, and why."""

    file: str
    reason: str  # still being written | changed less than N s ago | gone before it could be read


class Validation(TypedDict):
    """One checkpoint: its suite, whether it passed, its Data Docs page, what failed."""

    suite: str
    passed: bool
    page: str | None
    failures: list[str]  # blocking: publication or loading stopped
    warnings: list[str]  # reported only
    data: NotRequired[str]  # what it validated, as its Data Docs page names it
    evaluated: NotRequired[int]  # how many expectations
    by_unit: NotRequired[dict[str, list[str]]]  # a source gate: what failed, per submission
    # or fetch whose rows failed (the review page of a submission shows its own)


class SourceSummary(TypedDict):
    """What one source brought in this run."""

    source: str  # ssi | rmt
    landed: int  # files newly landed (workbooks, page bodies)
    counts: dict[str, int]  # new deliveries by status
    reread: NotRequired[dict[str, int]]  # deliveries decided again from the archive, by status
    damaged: NotRequired[list[str]]  # archived deliveries whose bytes no longer match: kept
    rejected: list[Rejection]  # every delivery not loaded
    validations: list[Validation]
    submissions: NotRequired[list[SubmissionReview]]  # ssi: every delivery of the run
    fetches: NotRequired[int]  # rmt: API calls and export folders decided
    new_versions: NotRequired[int]  # rmt: intervention versions loaded
    error: NotRequired[str]  # the source failed (the rest of the run was published)
    ignored: NotRequired[int]  # ssi: Excel lock files and hidden files left out of the landing
    deferred: NotRequired[list[Deferral]]  # ssi: files left for the next run


class BuildSummary(TypedDict):
    build: str
    raw_rows: dict[str, int]
    dbt: dict[str, int]
    refreshed: list[str]  # the sources whose raw tables and marts were built again
    rebuilt: list[str]  # schema.name of every model built (the others: as published)
    reporting_date: str  # results as of this date
    population: str  # the source of the reference population
    population_validations: list[Validation]  # an official population file's gate


class SubmissionReview(TypedDict):
    """One SSI submission of the run, as the review page shows it."""

    file: str
    sha256: str
    submission_id: str | None
    country_iso3: str | None
    year: int | None
    revision: int | None
    language: str | None
    status: str
    problems: list[str]
    warnings: NotRequired[list[str]]  # ops.submission_checks kind warning (year on year)
    flagged: NotRequired[list[str]]  # ops.submission_checks kind flagged (e.g. above 100 %)
    docs_page: NotRequired[str | None]  # before issue 26: its batch in Data Docs (its page on
    # the review, docs/review/, says what the gate found in its own rows)
    feedback: NotRequired[str | None]  # the workbook to send back to the country


class GateSummary(TypedDict):
    validations: list[Validation]


class Scope(TypedDict):
    years: list[int | None] | None
    countries: list[str] | None
    sources: list[str]
    reread: NotRequired[bool]


class SiteSummary(TypedDict):
    """The programme's pages of a publication (warehouse/site/): where, what they hold."""

    path: str
    publication_id: str
    reporting_date: str | None
    pages: int
    countries: int
    themes: int
    files: int
    written: bool  # False: the site in place already showed this publication


class RunSummary(TypedDict):
    """A whole run, as the flows return it."""

    run_id: str
    kind: str  # nightly | backfill
    warehouse: str
    published: bool
    scope: NotRequired[Scope]
    ssi: NotRequired[SourceSummary]
    rmt: NotRequired[SourceSummary]
    build: NotRequired[BuildSummary]
    marts_gate: NotRequired[GateSummary]
    publication: NotRequired[PublicationChanges]  # what the publication changed
    review: NotRequired[list[SubmissionReview]]  # ssi: every submission, for statisticians
    error: NotRequired[str]
    site: NotRequired[SiteSummary]  # the programme's pages written with the publication
    timings: NotRequired[dict[str, dict[str, float]]]  # step -> seconds, peak_rss_mib
    report: NotRequired[str]  # the run's summary page
    keep_publications: NotRequired[int]  # how many publications the run keeps
    pending_publication: NotRequired[str | None]  # journal: the publication being renamed
    finished_by: NotRequired[str]  # the run that finished this one after a crash


def validations(results: list[GateResult]) -> list[Validation]:
    return [Validation(suite=r.suite, passed=r.passed, page=r.docs_page,
                       failures=[f.describe() for f in r.failures if f.blocking],
                       warnings=[f.describe() for f in r.warnings], data=r.data or r.suite,
                       evaluated=r.evaluated, by_unit=r.by_unit) for r in results]


def source_summary(source: str, report: Report, results: list[GateResult],
                   extras: dict | None = None) -> SourceSummary:
    """A source's part of the summary, from its report, its gate's results and what else the
    source says of its batch (`extras`: an RMT batch's fetches and new versions)."""
    summary = SourceSummary(
        source=source, landed=sum(o.files for o in report.outcomes if o.key not in report.reread),
        counts=report.counts(),
        rejected=[Rejection(file=o.name, status=o.status, reason_code=o.reason_code,
                            reason=o.reason_message) for o in report.not_loaded()],
        validations=validations(results))
    summary.update(extras or {})
    reviews = [review for o in report.outcomes if (review := o.review()) is not None]
    if reviews:
        summary["submissions"] = [SubmissionReview(**review) for review in reviews]
    if report.reread:
        summary["reread"] = report.counts(reread=True)
    if report.damaged:
        summary["damaged"] = list(report.damaged)
    if report.error:
        summary["error"] = report.error
    if report.ignored:
        summary["ignored"] = len(report.ignored)
    if report.deferred:
        summary["deferred"] = [Deferral(file=name, reason=why) for name, why in report.deferred]
    return summary
