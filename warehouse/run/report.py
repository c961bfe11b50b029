"""The run summary rendered for people: the terminal, the HTML page and the Prefect artifact.

One `RunSummary` (warehouse/shared/summary.py), one set of phrases: the page and the artifact
show every section, with links to the Data Docs; the terminal shows the same lines
without the gates, and where to find the page.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from ingest.terminal import printable
from warehouse.pages import html as pages_html
from warehouse.review import items, pages
from warehouse.shared.summary import RunSummary, Scope, SourceSummary, SubmissionReview
from warehouse.sources.registry import SOURCES


class Line(NamedTuple):
    text: str
    link: str | None = None


class Table(NamedTuple):
    """Rows of cells (Lines), one row per item, under named columns."""

    columns: list[str]
    rows: list[list[Line]]


REVIEW_COLUMNS = ["country", "year", "revision", "file", "status", "needs feedback",
                  "problems, warnings and flagged figures", "review", "feedback"]


def describe_scope(scope: Scope) -> str:
    """A backfill's scope in words, for operators."""
    years = "-".join(str(y or "") for y in scope["years"]) if scope["years"] else "all"
    return (f"sources {', '.join(scope['sources'])}; reference years {years}; "
            f"countries {', '.join(scope['countries'] or []) or 'all'}; "
            f"archive {'re-read' if scope.get('reread', True) else 'not re-read'}")


def outcome(summary: RunSummary) -> str:
    """What became of the run, in a few words."""
    if summary["published"]:
        return f"published {summary['warehouse']}"
    if summary.get("error"):
        return f"FAILED: {summary['error']}"
    return f"nothing new: {summary['warehouse']} unchanged"


def left_for_next_run(part: SourceSummary) -> str | None:
    """The files a landing left for the next run, grouped by why: "1 left for the next run:
    still being written: KHM_2023.xlsx"."""
    deferred = part.get("deferred") or []
    if not deferred:
        return None
    by_reason: dict[str, list[str]] = {}
    for d in deferred:
        by_reason.setdefault(d["reason"], []).append(d["file"])
    return f"{len(deferred)} left for the next run: " + "; ".join(
        f"{reason}: {', '.join(files)}" for reason, files in by_reason.items())


def _source(source: str, part: SourceSummary, backfill: bool) -> list[Line]:
    """How many files came, what became of them, every one not loaded, and what the landing
    ignored or left for the next run."""
    what = SOURCES[source].unit

    def by_status(counts: dict[str, int]) -> str:
        listed = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return f" ({listed})" if listed else ""

    first = f"{part['landed']} new {what}{by_status(part['counts'])}"
    if backfill or "reread" in part:
        reread = part.get("reread", {})
        first = f"{sum(reread.values())} re-read from the archive{by_status(reread)}, {first}"
    if part.get("new_versions"):
        first += f", {part['new_versions']} intervention version(s) loaded"
    lines = [Line(first)] + [Line(f"{r['status']}: {r['file']}: {r['reason']}")
                             for r in part["rejected"]]
    lines += [Line(damaged) for damaged in part.get("damaged", [])]
    if part.get("ignored"):
        lines.append(Line(f"{part['ignored']} ignored: Excel lock files or hidden files"))
    left = left_for_next_run(part)
    if left:
        lines.append(Line(left))
    return lines


def _gates(summary: RunSummary, docs: Path | None) -> list[Line]:
    validations = [*(v for source in SOURCES for v in summary.get(source, {}).get(
                       "validations", [])),
                   *summary.get("marts_gate", {}).get("validations", [])]
    return [Line(f"{v['suite']}: {'passed' if v['passed'] else 'FAILED'}"
                 + "".join(f"; {f}" for f in v["failures"] + v["warnings"]),
                 _relative(v["page"], docs)) for v in validations]


def _built(summary: RunSummary, docs: Path | None) -> list[Line]:
    """What the build rests on, and where its documentation is."""
    build = summary.get("build")
    if not build:
        return []
    lines = [Line(f"results as of {build['reporting_date']}; regional shares weighed by "
                  f"{build['population']}")]
    if summary["published"]:
        lines.append(Line("dbt documentation of the marts (models, columns, tests, lineage)",
                          "../dbt/index.html" if docs is not None else None))
    return lines


def _site(summary: RunSummary, docs: Path | None) -> list[Line]:
    """The programme's pages the run wrote (warehouse/site/)."""
    site = summary.get("site")
    if not site or not site["written"]:
        return []
    return [Line(f"the programme's pages of {site['publication_id']}: {site['pages']:,} pages "
                 f"({site['countries']:,} countries, {site['themes']:,} thematic areas)",
                 "../../site/index.html" if docs is not None else site["path"])]


def _changes(summary: RunSummary) -> list[Line]:
    """What the publication changed: rows per mart, then its largest changes in words."""
    changes = summary.get("publication")
    if not changes:
        return []
    if changes.get("error"):
        return [Line(f"{changes['to_publication']}: no comparison ({changes['error']})")]
    base = changes["from_publication"]
    lines = [Line(f"{changes['to_publication']} against {base}" if base else
                  f"{changes['to_publication']}: the first publication kept")]
    for mart, counts in sorted(changes["marts"].items()):
        if counts["added"] is None:
            moved = "changed (no key to match rows on)" \
                if counts["rows"] != counts["rows_before"] else "rows matched by checksum only"
        elif not (counts["added"] or counts["removed"] or counts["changed"]):
            continue
        else:
            moved = (f"{counts['added']} added, {counts['removed']} removed, "
                     f"{counts['changed']} changed")
        lines.append(Line(f"{mart}: {moved} ({counts['rows_before']} → {counts['rows']} rows)"))
    for mart, said in sorted(changes["highlights"].items()):
        lines += [Line(f"{mart}: {text}") for text in said]
    return lines


def needing_feedback(summary: RunSummary) -> list[SubmissionReview]:
    """The submissions of the run that need feedback (`items.needs_feedback`)."""
    return [r for r in summary.get("review") or []
            if items.needs_feedback(r["status"], r.get("warnings", []), r.get("flagged", []))]


def _review(summary: RunSummary, docs: Path | None) -> Table | None:
    """One row per SSI submission of the run that needs feedback, as statisticians review
    them; the others are counted in the run's lines."""
    rows = needing_feedback(summary)
    if not rows:
        return None

    def page(r: SubmissionReview) -> str | None:
        if docs is None:
            return None
        target = pages.page_of(docs, r["submission_id"], r["file"], r["sha256"])
        return _relative(str(target), docs) if target.exists() else None

    return Table(REVIEW_COLUMNS, [[
        Line(r["country_iso3"] or ""), Line(str(r["year"] or "")), Line(str(r["revision"] or "")),
        Line(r["file"]), Line(r["status"]),
        Line(items.what_needs_feedback(r["status"], r["problems"], r.get("warnings", []),
                                       r.get("flagged", []))),
        Line("; ".join(pages.rounded(t) for t in [*r["problems"], *r.get("warnings", []),
                                                   *r.get("flagged", [])])),
        Line("its page", link) if (link := page(r)) else Line(""),
        Line("workbook", _relative(r.get("feedback"), docs)) if r.get("feedback")
        else Line("")] for r in rows])


def _reviewed_lines(summary: RunSummary, docs: Path | None) -> list[Line]:
    """How many of the run's submissions need feedback, and where the open items are."""
    reviewed = summary.get("review") or []
    review = Line("every submission still needing feedback, from this run or earlier: the "
                  "review page" + ("" if summary["published"] or reviewed else
                                   " (as it was: this run changed nothing there)"),
                  "../review.html" if docs is not None else None)
    if not reviewed:
        return [review]
    need = len(needing_feedback(summary))
    return [Line(f"{need} of the run's {len(reviewed)} submission(s) need feedback; the "
                 f"{len(reviewed) - need} other(s) need none"), review]


def sections(summary: RunSummary, docs: Path | None) -> list[tuple[str, list[Line] | Table]]:
    """(heading, lines or a table) for every part of the summary, as the page and the
    artifact show."""
    run = [Line(f"{summary['kind']} {summary['run_id']}: {outcome(summary)}")]
    if summary.get("scope"):
        run.append(Line(f"scope: {describe_scope(summary['scope'])}"))
    if summary.get("finished_by"):
        run.append(Line(f"interrupted (killed, or out of disk space) and finished by run "
                        f"{summary['finished_by']}"))
    out: list[tuple[str, list[Line] | Table]] = [
        ("Run", run + _built(summary, docs) + _site(summary, docs)
         + _reviewed_lines(summary, docs))]
    review = _review(summary, docs)
    if review:
        out.append(("Submissions of this run that need feedback", review))
    for source in SOURCES.values():
        if source.name in summary:
            out.append((source.title, _source(source.name, summary[source.name],
                                              "scope" in summary)))
    changes = _changes(summary)
    if changes:
        out.append(("What this publication changed", changes))
    gates = _gates(summary, docs)
    if gates:
        out.append(("Quality gates (Great Expectations)", gates))
    return out


def terminal(summary: RunSummary) -> str:
    """The summary as `spf run` and `spf backfill` print it, control characters in file
    names and reasons escaped (`ingest.terminal.printable`)."""
    lines = [f"backfill: {describe_scope(summary['scope'])}"] if summary.get("scope") else []
    for source in SOURCES.values():
        if source.name in summary:
            first, *rest = _source(source.name, summary[source.name], "scope" in summary)
            lines += [f"{source.label}: {first.text}", *(f"  {line.text}" for line in rest)]
    lines.append(outcome(summary))
    if summary.get("site") and summary["site"]["written"]:
        lines.append(f"the programme's pages: {summary['site']['path']}/index.html")
    if summary.get("review"):
        lines.append(f"{len(needing_feedback(summary))} of the run's {len(summary['review'])} "
                     "submission(s) need feedback")
    if summary.get("report"):
        lines.append("submissions that need feedback, from every run: "
                     f"{Path(summary['report']).parent.parent / 'review.html'}")
        lines.append(f"summary and validation reports: {summary['report']}")
    return "\n".join(printable(line) for line in lines)


def _relative(page: str | None, docs: Path | None) -> str | None:
    """A Data Docs page, or a file of the home, as a link that works from docs/runs/ (or as
    given)."""
    if not page:
        return None
    path = Path(page.removeprefix("file://"))
    if docs is None:
        return page
    try:
        return os.path.relpath(path, docs / "runs")
    except ValueError:
        return page


def markdown(summary: RunSummary) -> str:
    """The summary as Markdown (the Prefect artifact)."""
    out = [f"# SPF Warehouse run {summary['run_id']}"]
    for heading, part in sections(summary, None):
        out.append(f"\n## {heading}\n")
        if isinstance(part, Table):
            out += ["| " + " | ".join(part.columns) + " |",
                    "|" + "---|" * len(part.columns)]
            out += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in part.rows]
        else:
            out += [f"- {_md(line)}" for line in part]
    return "\n".join(out) + "\n"


def _md(line: Line) -> str:
    text = line.text.replace("|", "\\|")
    return f"[{text}]({line.link})" if line.link else text


def _html(line: Line) -> pages_html.Markup:
    return pages_html.link(line.text, line.link)


def state_of(summary: RunSummary) -> str:
    """published, unchanged or failed: a run's outcome in one word."""
    if summary["published"]:
        return "published"
    return "failed" if summary.get("error") else "unchanged"


def write_html(summary: RunSummary, docs: Path) -> Path:
    """Write docs/runs/<run_id>.html and docs/runs/latest.html, and the index of every run
    (from the runs' records: `write_record` first); return the run's page."""
    runs = docs / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    target = runs / f"{summary['run_id']}.html"
    state = state_of(summary)
    body = [pages_html.box(outcome(summary), {"published": "ok", "failed": "bad"}.get(
        state, "info"))]
    for heading, part in sections(summary, docs):
        if isinstance(part, Table):
            body.append(pages_html.section(heading, pages_html.table(
                part.columns, [[_html(cell) for cell in row] for row in part.rows])))
        else:
            body.append(pages_html.section(heading, pages_html.bullets(
                _html(line) for line in part)))
    pages_html.write(target, docs, f"SPF Warehouse run {summary['run_id']}", body,
                     pages.nav(docs), lead=f"{summary['kind']} run, {state}")
    (runs / "latest.html").write_text(
        target.read_text(encoding="utf-8"), encoding="utf-8")  # same folder: same links
    write_index(docs)
    return target


def write_record(summary: RunSummary, docs: Path) -> None:
    """The summary as JSON beside its page (runs/<run_id>.json and latest.json), for
    programs, the index of runs and the review's pages."""
    runs = docs / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    record = json.dumps(summary, indent=1, default=str)
    (runs / f"{summary['run_id']}.json").write_text(record, encoding="utf-8")
    (runs / "latest.json").write_text(record, encoding="utf-8")


def _brought(summary: RunSummary) -> list[str]:
    """What each source brought, in its summary's first line."""
    backfill = "scope" in summary
    return [f"{source.label}: {_source(source.name, summary[source.name], backfill)[0].text}"
            for source in SOURCES.values() if source.name in summary]


def _published(summary: RunSummary) -> str:
    changes = summary.get("publication") or {}
    if not summary["published"]:
        return ""
    return changes.get("to_publication") or "published"


def _changed(summary: RunSummary) -> list[str]:
    """What the publication changed, mart by mart (its first lines)."""
    return [line.text for line in _changes(summary)[1:]]


def write_index(docs: Path) -> Path:
    """docs/runs/index.html: every run whose summary is in docs/runs/, newest first, with its
    kind, outcome, what it brought, what it published and what that changed."""
    runs = docs / "runs"
    rows = []
    for record in sorted(runs.glob("*.json"), reverse=True):
        if record.name == "latest.json":
            continue
        try:
            summary = json.loads(record.read_text(encoding="utf-8"))
            summary["run_id"], summary["published"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        page = runs / f"{summary['run_id']}.html"
        state = state_of(summary)
        changed = _changed(summary)
        shown = changed[:6] + ([f"... and {len(changed) - 6} more"] if len(changed) > 6 else [])
        rows.append([
            pages_html.link(_when(summary["run_id"]), page.name if page.exists() else None),
            summary.get("kind", ""), pages_html.tag(state),
            pages_html.bullets(_brought(summary) + ([f"failed: {summary['error']}"]
                                                    if summary.get("error") else [])),
            _published(summary),
            pages_html.bullets(shown) if shown else (
                "nothing" if state == "published" else "")])
    body = [pages_html.table(["run", "kind", "outcome", "what it brought", "published",
                              "what changed"], rows) if rows else
            pages_html.box("No run yet.")]
    return pages_html.write(runs / "index.html", docs, "Runs", body, pages.nav(docs),
                            lead="Every run, newest first. The last run's page is "
                                 "latest.html.")


def _when(run_id: str) -> str:
    """20261207T111417647033Z as 2026-12-07 11:14:17 UTC."""
    try:
        return f"{run_id[0:4]}-{run_id[4:6]}-{run_id[6:8]} {run_id[9:11]}:{run_id[11:13]}:" \
               f"{run_id[13:15]} UTC"
    except IndexError:
        return run_id
