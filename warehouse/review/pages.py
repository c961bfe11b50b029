"""The review as statisticians open it: `docs/review.html`, the open items, and one page per
item (`docs/review/<submission>.<sha256[:12]>.html`).

An item's page says what needs feedback (its problems, warnings and flagged figures, values
rounded as people read them), the validation results that concern it alone (what the source
gate found in its own rows, from the summary of the run that decided it, with a link to the
whole batch in Data Docs), its feedback workbook, and how it is settled. Pages are written
after a run that published or reviewed, and after `spf accept`; a night with nothing new
and a failed run leave them as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ingest.paths import PRIVATE_FILE, Paths
from ingest.ssi_workbook import submission_id
from warehouse.pages import html
from warehouse.review.feedback import feedback_batch
from warehouse.review.items import WARNING, WORDS, ReviewItem, open_items
from warehouse.sources.registry import SOURCES

REVIEW = "review.html"
ITEMS = "review"
RUNS = "runs"
# A long decimal in a message, as GX or a parser quotes it: rounded for people.
LONG_DECIMAL = re.compile(r"(?<![\w.])(\d+)\.(\d{3,})(?![\w.])")


def rounded(text: str) -> str:
    """A message with its long decimals rounded to two places (104.35657800143781: 104.36)."""
    def shorter(m: re.Match) -> str:
        value = round(float(m.group(0)), 2)
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return LONG_DECIMAL.sub(shorter, text)


def nav(docs: Path) -> list[tuple[str, Path]]:
    """The header bar of every page of the docs folder."""
    return [("Review", docs / REVIEW), ("Runs", docs / RUNS / "index.html"),
            ("Last run", docs / RUNS / "latest.html"), ("Data Docs", docs / "index.html"),
            ("dbt docs", docs / "dbt" / "index.html")]


def page_of(docs: Path, submission_id: str | None, file: str, sha256: str) -> Path:
    """The page of a submission on the review: docs/review/<id or file>.<sha256[:12]>.html."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", submission_id or Path(file).stem)[:80]
    return docs / ITEMS / f"{stem}.{sha256[:12]}.html"


def item_page(paths: Paths, item: ReviewItem) -> Path:
    return page_of(paths.docs, item.submission_id, item.file, item.sha256)


def feedback_path(paths: Paths, item: ReviewItem) -> Path:
    from warehouse.review.submissions import feedback_name

    return paths.feedback / feedback_name(item.file, item.sha256)


def _run_summary(paths: Paths, run_id: str | None, read: dict) -> dict:
    """The summary a run left beside its page (runs/<run_id>.json), or nothing; `read`
    keeps those read already (a first load's summary lists thousands of submissions)."""
    if not run_id:
        return {}
    if run_id not in read:
        try:
            record = paths.docs / RUNS / f"{run_id}.json"
            read[run_id] = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            read[run_id] = {}
    return read[run_id]


def own_validations(paths: Paths, item: ReviewItem, read: dict) -> list[dict]:
    """The source validations of the run that decided the item, each with what failed in the
    item's own rows: [{suite, page, data, evaluated, failed: [...]}]."""
    summary = _run_summary(paths, item.run_id, read)
    unit = item.submission_id or ""
    out = []
    for source in (s.name for s in SOURCES.values() if s.reviewed):
        for v in summary.get(source, {}).get("validations", []):
            out.append({"suite": v["suite"], "page": v.get("page"), "data": v.get("data"),
                        "evaluated": v.get("evaluated"),
                        "failed": [rounded(f) for f in v.get("by_unit", {}).get(unit, [])]})
    return out


def write_feedback_missing(paths: Paths, items: list[ReviewItem]) -> None:
    """The feedback workbook of every item that has none yet (e.g. a submission flagged by a
    later build), into the home's private feedback folder."""
    missing = [(i.sha256, feedback_path(paths, i)) for i in items
               if not feedback_path(paths, i).exists()]
    if not missing:
        return
    paths.feedback.mkdir(parents=True, exist_ok=True)
    for (_, out), nothing in zip(missing, feedback_batch(paths, missing), strict=True):
        if nothing is None:
            out.chmod(PRIVATE_FILE)


def write_review(paths: Paths) -> Path:
    """Write review.html and the page of every open item; return review.html."""
    items = open_items(paths)
    write_feedback_missing(paths, items)
    docs = paths.docs
    page = docs / REVIEW
    rows, read = [], {}
    for item in items:
        target = item_page(paths, item)
        _write_item(paths, item, target, read)
        workbook = feedback_path(paths, item)
        rows.append([
            item.country_iso3 or "", item.year or "", item.revision or "",
            html.link(item.key, html.relative(target, page)), item.file,
            html.tag(item.status),
            item.what, _since(item),
            html.link("workbook", html.relative(workbook, page)) if workbook.exists() else ""])
    body = [html.box(f"{len(items)} submission(s) need feedback and are not settled yet."
                     if items else "Nothing to review: every submission is settled.",
                     "warn" if items else "ok")]
    if items:
        body.append(html.table(["country", "year", "revision", "submission", "file", "status",
                                "needs feedback", "since", "feedback"], rows))
    body.append(html.section("What the words mean", html.bullets(WORDS.values()), html.Markup(
        "<p>An item stays here until a later revision of the same country and year is "
        "loaded, a quarantined file is released (<code>spf release ID</code>), or a "
        "statistician settles it with <code>spf accept ID --note WHY</code>. A night with "
        "nothing new, or a run that failed, leaves this page as it is.</p>")))
    return html.write(page, docs, "Submissions to review", body, nav(paths.docs),
                      lead="Every SSI submission that needs feedback and is not settled.")


def _since(item: ReviewItem) -> str:
    when = item.processed_at
    return f"{when:%Y-%m-%d}" if hasattr(when, "strftime") else str(when or "")


def _write_item(paths: Paths, item: ReviewItem, page: Path, read: dict) -> None:
    docs = paths.docs
    workbook = feedback_path(paths, item)
    run_page = docs / RUNS / f"{item.run_id}.html" if item.run_id else None
    facts = html.facts([
        ("file", item.file), ("submission", item.submission_id or (
            f"{submission_id(item.country_iso3, item.year, item.revision)} as its cover says "
            "(not loaded)" if item.country_iso3 and item.year and item.revision
            else "not identified")),
        ("country, year, revision", " ".join(str(x) for x in (
            item.country_iso3, item.year, f"r{item.revision}" if item.revision else None)
            if x) or "not identified"),
        ("status", html.tag(item.status)), ("needs feedback", item.what),
        ("decided", html.Markup(f"{html.esc(_since(item))} by run " + (
            html.link(item.run_id, html.relative(run_page, page))
            if run_page and run_page.exists() else html.esc(item.run_id or "?")))),
        ("sha256", item.sha256)])
    body = [facts]
    if item.problems:
        body.append(html.section(f"Problems ({len(item.problems)})",
                                 html.bullets(rounded(p) for p in item.problems)))
    if item.warnings:
        body.append(html.section(f"Warnings ({len(item.warnings)})", html.Markup(
            "<p class='note'>Figures that moved implausibly against the country's earlier "
            "year (ops.submission_checks, kind warning).</p>"),
            html.bullets(rounded(w) for w in item.warnings)))
    if item.flagged:
        body.append(html.section(f"Flagged figures ({len(item.flagged)})", html.Markup(
            "<p class='note'>Figures to follow up with the country (ops.submission_checks, "
            "kind flagged).</p>"), html.bullets(rounded(f) for f in item.flagged)))
    body.append(html.section("Validation results for this submission", _validations(
        paths, item, page, read)))
    body.append(html.section("Feedback to the country", html.Markup(
        (f"<p>{html.link('The feedback workbook', html.relative(workbook, page))} "
         "(private: it copies the workbook, contact e-mail included), in the submission's "
         "language.</p>" if workbook.exists() else "<p>No workbook written yet.</p>")
        + "<p>Another language: <code>"
        + html.esc(f"spf feedback {item.key} --out FILE.xlsx --language fr") + "</code></p>")))
    body.append(html.section("How it is settled", html.Markup(
        "<p>By a later revision of the same country and year, "
        + ("by its release (<code>spf release "
           f"{html.esc(item.sha256[:12])}</code>, or <code>--accept --note WHY</code>)"
           if item.status == "quarantined" else
           f"or by a statistician's note: <code>spf accept {html.esc(item.key)} --note "
           "WHY</code>") + ".</p>")))
    html.write(page, docs, f"Review: {item.key}", body, nav(paths.docs), lead=item.file)


def _validations(paths: Paths, item: ReviewItem, page: Path, read: dict) -> html.Markup:
    if item.status == "rejected":
        return html.Markup("<p>Not validated: the workbook was rejected before the quality "
                           "gate (its problems are above).</p>")
    found = own_validations(paths, item, read)
    if not found:
        return html.Markup("<p class='note'>No record of the run that validated it.</p>")
    rows = []
    for v in found:
        failed = v["failed"]
        if not failed:
            result = html.tag("passed")
        else:
            blocking = any("[critical]" in f for f in failed)
            result = html.Markup(html.tag("failed" if blocking else WARNING) + html.bullets(
                failed))
        rows.append([v["suite"], v["evaluated"] or "", result,
                     html.link("the whole batch in Data Docs", html.relative(v["page"], page))
                     if v["page"] else ""])
    note = ("<p class='note'>What the source gate found in this submission's own rows; the "
            "Data Docs page shows the batch it was validated in.</p>")
    return html.Markup(note + html.table(["suite", "expectations", "for this submission",
                                          "Data Docs"], rows, numeric={1}))

