"""The run summary rendered for people: the terminal, the HTML page and the Prefect artifact.

One `RunSummary` (warehouse/shared/summary.py), one set of phrases: the page and the artifact
show every section, with links to the Data Docs; the terminal shows the same lines
without the gates, and where to find the page.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import NamedTuple

from ingest.terminal import printable
from warehouse.shared.summary import RunSummary, Scope, SourceSummary, SubmissionReview
from warehouse.sources.registry import SOURCES


class Line(NamedTuple):
    text: str
    link: str | None = None


class Table(NamedTuple):
    """Rows of cells (Lines), one row per item, under named columns."""

    columns: list[str]
    rows: list[list[Line]]


REVIEW_COLUMNS = ["country", "year", "revision", "language", "file", "status", "problems",
                  "warnings and flagged figures", "Data Docs", "feedback"]


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


def _review(summary: RunSummary, docs: Path | None) -> Table | None:
    """One row per SSI submission of the run, as statisticians review them."""
    rows: list[SubmissionReview] = summary.get("review") or []
    if not rows:
        return None
    return Table(REVIEW_COLUMNS, [[
        Line(r["country_iso3"] or ""), Line(str(r["year"] or "")), Line(str(r["revision"] or "")),
        Line(r["language"] or ""), Line(r["file"]), Line(r["status"]),
        Line("; ".join(r["problems"])),
        Line("; ".join([*r.get("warnings", []), *r.get("flagged", [])])),
        Line("validation", _relative(r.get("docs_page"), docs)) if r.get("docs_page")
        else Line(""),
        Line("workbook", _relative(r.get("feedback"), docs)) if r.get("feedback")
        else Line("")] for r in rows])


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
        ("Run", run + _built(summary, docs) + _site(summary, docs))]
    review = _review(summary, docs)
    if review:
        out.append(("Submissions to review", review))
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
    if summary.get("report"):
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


def _html(line: Line) -> str:
    text = html.escape(line.text)
    return f'<a href="{html.escape(line.link)}">{text}</a>' if line.link else text


def write_html(summary: RunSummary, docs: Path) -> Path:
    """Write docs/runs/<run_id>.html and docs/runs/latest.html; return the run's page."""
    runs = docs / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    body = []
    for heading, part in sections(summary, docs):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if isinstance(part, Table):
            body.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>"
                                                for c in part.columns) + "</tr>")
            body += ["<tr>" + "".join(f"<td>{_html(cell)}</td>" for cell in row) + "</tr>"
                     for row in part.rows]
            body.append("</table>")
        else:
            body.append("<ul>" + "".join(f"<li>{_html(line)}</li>" for line in part)
                        + "</ul>")
    title = html.escape(f"SPF Warehouse run {summary['run_id']}")
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif;max-width:90em;margin:2em auto}"
        "li{margin:.3em 0}table{border-collapse:collapse;font-size:90%}"
        "th,td{border:1px solid #ccc;padding:.2em .4em;text-align:left;vertical-align:top}"
        "</style></head><body>"
        f"<h1>{title}</h1>"
        "<p><a href='../index.html'>All validation results (Data Docs)</a></p>"
        + "".join(body) + "</body></html>\n")
    target = runs / f"{summary['run_id']}.html"
    target.write_text(page, encoding="utf-8")
    (runs / "latest.html").write_text(page, encoding="utf-8")
    record = json.dumps(summary, indent=1, default=str)  # the same, for programs
    (runs / f"{summary['run_id']}.json").write_text(record, encoding="utf-8")
    (runs / "latest.json").write_text(record, encoding="utf-8")
    return target
