"""The short summary of a run: what was loaded, rejected, validated and published.

One structure, two renderings: Markdown for the Prefect artifact operators read,
HTML beside the Data Docs for statisticians, linking each validation's page.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

SOURCES = {"ssi": "SSI workbooks", "rmt": "Project reports (RMT)"}


def _sections(summary: dict, docs: Path | None) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """(heading, [(text, link or None)]) for every part of the summary."""
    published = summary.get("published")
    outcome = ("published " + summary.get("warehouse", "") if published
               else f"FAILED: {summary['error']}" if summary.get("error")
               else "nothing new: the published warehouse is unchanged")
    run = [(f"{summary.get('kind', 'run')} {summary.get('run_id', '?')}: {outcome}", None)]
    if summary.get("scope"):
        run.append((f"scope: {describe_scope(summary['scope'])}", None))
    sections = [("Run", run)]
    for source, title in SOURCES.items():
        part = summary.get(source)
        if not part:
            continue
        counts = ", ".join(f"{n} {status}" for status, n in sorted(part.get("counts", {}).items()))
        lines: list[tuple[str, str | None]] = [
            (f"{part.get('landed', 0)} new file(s)" + (f": {counts}" if counts else ""), None)]
        lines += [(f"{item['status']}: {item['file']}: {item['reason']}", None)
                  for item in part.get("rejected", [])]
        sections.append((title, lines))
    validations = [*summary.get("ssi", {}).get("validations", []),
                   *summary.get("rmt", {}).get("validations", []),
                   *summary.get("marts_gate", {}).get("validations", [])]
    if validations:
        sections.append(("Quality gates (Great Expectations)", [
            (f"{v['suite']}: {'passed' if v['passed'] else 'FAILED'}"
             + "".join(f"; {f}" for f in v.get("failures", []) + v.get("warnings", [])),
             _relative(v.get("page"), docs))
            for v in validations]))
    return sections


def describe_scope(scope: dict) -> str:
    """A backfill's scope in words, for operators."""
    years = "-".join(str(y or "") for y in scope["years"]) if scope["years"] else "all"
    return (f"sources {', '.join(scope['sources'])}; reference years {years}; "
            f"countries {', '.join(scope['countries'] or []) or 'all'}; "
            f"archive {'re-read' if scope['reread'] else 'not re-read'}")


def _relative(page: str | None, docs: Path | None) -> str | None:
    """A Data Docs page as a link that works from docs/runs/ (or as given)."""
    if not page:
        return None
    path = Path(page.removeprefix("file://"))
    if docs is None:
        return page
    try:
        return os.path.relpath(path, docs / "runs")
    except ValueError:
        return page


def markdown(summary: dict) -> str:
    """The summary as Markdown (Prefect artifact)."""
    out = [f"# SPF Warehouse run {summary.get('run_id', '')}"]
    for heading, lines in _sections(summary, None):
        out.append(f"\n## {heading}\n")
        out += [f"- [{text}]({link})" if link else f"- {text}" for text, link in lines]
    return "\n".join(out) + "\n"


def write_html(summary: dict, docs: Path) -> Path:
    """Write docs/runs/<run_id>.html and docs/runs/latest.html; return the run's page."""
    runs = docs / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    body = []
    for heading, lines in _sections(summary, docs):
        body.append(f"<h2>{html.escape(heading)}</h2><ul>")
        for text, link in lines:
            item = html.escape(text)
            body.append(f'<li><a href="{html.escape(link)}">{item}</a></li>' if link
                        else f"<li>{item}</li>")
        body.append("</ul>")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>SPF Warehouse run {html.escape(summary.get('run_id', ''))}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "li{margin:.3em 0}</style></head><body>"
        f"<h1>SPF Warehouse run {html.escape(summary.get('run_id', ''))}</h1>"
        f"<p><a href='../index.html'>All validation results (Data Docs)</a></p>"
        + "".join(body) + "</body></html>\n")
    target = runs / f"{summary.get('run_id', 'run')}.html"
    target.write_text(page, encoding="utf-8")
    (runs / "latest.html").write_text(page, encoding="utf-8")
    return target
