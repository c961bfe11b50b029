"""What a publication changed, in words, for the run summary: per mart its rows added,
removed and changed, and for the coverage and results marts the largest changes in words
("GHA 2023 SOC_CONTIG_PENSION SEX_T 75.0 → 95.0, revision 2 of GHA-2023")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest import codes
from warehouse.publication.diff import Comparison, as_text, mart_keys
from warehouse.publication.records import attached, checksums, quoted, read_history
from warehouse.shared.summary import MartChanges, PublicationChanges


def _pct(row: dict) -> str:
    value = row.get("coverage_pct")
    if value is None:
        flag = row.get("quality_flag")
        return "missing" + (f" ({flag})" if flag else "")
    return f"{value:.1f}"


def _share(row: dict) -> str:
    """The share of the region's population behind a regional figure, and its flag in words:
    ", 0.7 % of its population: reporting countries hold too small a share of ..."."""
    share = row.get("population_share_reporting")
    said = f", {100 * share:.1f} % of its population" if share is not None else ""
    flag = row.get("quality_flag")
    return said + (f"; {FLAG_WORDS.get(flag, flag)}" if flag else "")


FLAG_WORDS = {f.flag: f.words for f in codes.quality_flags().values()}


def _count(value) -> str:
    return "none" if value is None else f"{value:,.0f}"


def _plural(value, noun: str) -> str:
    return f"{_count(value)} {noun}{'' if value == 1 else 's'}"


@dataclass(frozen=True)
class _Telling:
    """How a statistician reads a row of one mart: its name, the measure that matters
    (ranked by absolute change), and what to say after the measure."""

    measure: str | None
    where: Callable[[dict], str]
    value: Callable[[dict], str]
    after: Callable[[dict], str] = lambda row: ""
    said: tuple[str, ...] = ()  # columns `after` already tells


# The columns chosen for each mart: the figure the mart exists to publish.
TELLING: dict[str, _Telling] = {
    # coverage_pct, with the revision that brought it (a column of the mart)
    "coverage_sdg131": _Telling(
        "coverage_pct",
        lambda r: f"{r['country_iso3']} {r['year']} {r['series']} {r['sex']}", _pct,
        lambda r: f", revision {r.get('revision')} of {r['country_iso3']}-{r['year']}",
        ("revision", "submission_id")),
    # coverage_pct of the region, with how many countries it stands on and its flag in words
    "coverage_sdg131_regional": _Telling(
        "coverage_pct", lambda r: f"{r['region']} {r['year']} {r['series']} {r['sex']}", _pct,
        lambda r: f" ({_count(r.get('countries_reporting'))} countries reporting"
                  + _share(r) + ")",
        ("countries_reporting", "population_share_reporting", "quality_flag")),
    # countries that achieved the step, against the target
    "results_phase_progress": _Telling(
        "achieved_countries",
        lambda r: f"phase {r['phase']} step {r['step']}"
                  + (f" ({r['step_name']})" if r.get("step_name") else "") + ":",
        lambda r: _count(r.get("achieved_countries")),
        lambda r: f" countries achieved (target {_count(r.get('target_countries'))})"),
    # people impacted, against the target
    "results_impact_summary": _Telling(
        "persons", lambda r: f"phase {r['phase']} {r['impact_category']}:",
        lambda r: _count(r.get("persons")),
        lambda r: f" people impacted (target {_count(r.get('target_persons'))})"),
    # an outcome's people impacted at its latest snapshot
    "results_people_impacted": _Telling(
        "persons",
        lambda r: f"{r['outcome_id']} ({r.get('country_iso3') or 'regional or global'}, "
                  f"{r.get('impact_category')}):",
        lambda r: _count(r.get("persons")),
        lambda r: f" people as of {as_text(r.get('as_of'))}"),
    # whether a focus country achieved a step in a year
    "results_country_steps": _Telling(
        "achieved",
        lambda r: f"{r['country_iso3']} phase {r['phase']} step {r['step']} in {r['year']}:",
        lambda r: "achieved" if r.get("achieved") else "not achieved",
        lambda r: f" ({_plural(r.get('changes'), 'change')})"),
    # an institutional change exists or not (no measure: new and removed ones first)
    "results_institutional_changes": _Telling(
        None,
        lambda r: f"{r['change_id']} ({r.get('country_iso3') or 'regional or global'}, "
                  f"step {r.get('step')}, achieved on {as_text(r.get('achieved_on'))}):",
        lambda r: r.get("title") or "", lambda r: ""),
    # an indicator of the results framework (Table 7), in its unit
    "results_framework": _Telling(
        "value", lambda r: f"phase {r['phase']} {r['indicator']}:",
        lambda r: _count(r.get("value")) if r.get("unit") != "percent" or r.get("value") is None
        else f"{r['value']:.1f} %",
        lambda r: f" {r.get('unit') or ''}".rstrip() if r.get("unit") != "percent" else "",
        ("unit",)),
    # people impacted in a thematic area
    "results_thematic": _Telling(
        "persons", lambda r: f"phase {r['phase']} {r['thematic_area']}:",
        lambda r: _count(r.get("persons")),
        lambda r: f" people impacted ({_plural(r.get('interventions'), 'intervention')})",
        ("interventions",)),
    # US dollars mobilized
    "results_funding": _Telling(
        "amount_usd", lambda r: f"{r['partner']} {r['year']}:",
        lambda r: "none" if r.get("amount_usd") is None else f"US${r['amount_usd']:,.0f}",
        lambda r: f" ({_plural(r.get('interventions'), 'intervention')})"),
}


def _sentence(telling: _Telling, change: str, key: dict, old: dict, new: dict,
              changed: list[str]) -> str:
    before, after = {**key, **old}, {**key, **new}
    where = telling.where(after if change != "removed" else before)
    if change == "added":
        return f"{where} new: {telling.value(after)}{telling.after(after)}"
    if change == "removed":
        return f"{where} removed (was {telling.value(before)}{telling.after(before)})"
    if telling.measure in changed:
        return f"{where} {telling.value(before)} → {telling.value(after)}{telling.after(after)}"
    others = "; ".join(f"{c} {as_text(old.get(c))} → {as_text(new.get(c))}" for c in changed
                       if c not in telling.said)
    if telling.measure is None:
        return f"{where} {others}{telling.after(after)}"
    return (f"{where} {telling.value(after)} unchanged" + (f" ({others})" if others else "")
            + telling.after(after))


def summarize(old: Path | None, new: Path, top: int = 5) -> PublicationChanges:
    """For a run summary: per mart (of either file), its rows and how many were added,
    removed and changed since `old` (None: the first publication), and for the coverage and results
    marts (TELLING) the `top` largest changes in words, e.g. "GHA 2023 SOC_CONTIG_PENSION
    SEX_T 75.0 → 95.0, revision 2 of GHA-2023". Changed and removed rows come first, by the
    absolute change of the mart's measure (TELLING; a removed row counts as its whole
    value), new rows after them (the run summary's source part lists what came in). A mart
    without a key gets counts of rows only (its checksum says whether it changed)."""
    if old is None:
        with attached(new_wh=new) as con:
            counts = {m["mart"]: MartChanges(rows_before=0, rows=m["row_count"],
                                             added=m["row_count"], removed=0, changed=0)
                      for m in checksums(con, "new_wh")}
            latest = read_history(con, "new_wh", last=True)
        return PublicationChanges(from_publication=None,
                                  to_publication=latest[-1]["publication_id"] if latest
                                  else None, marts=counts, highlights={})
    keys = mart_keys()
    with attached(old_wh=old, new_wh=new) as con:
        comparison = Comparison(con)
        marts: dict[str, MartChanges] = {}
        highlights: dict[str, list[str]] = {}
        for mart in comparison.marts():  # those of either file: a mart may go
            if not keys.get(mart):  # rows cannot be matched: the checksum says if it changed
                before, after = (next(iter(checksums(con, db, comparison.catalogs[db], mart)),
                                      None) for db in ("old_wh", "new_wh"))
                marts[mart] = MartChanges(
                    rows_before=before["row_count"] if before else 0,
                    rows=after["row_count"] if after else 0, added=None, removed=None,
                    changed=0 if before == after else None)
                continue
            result = comparison.compare(mart, keys[mart])
            marts[mart] = MartChanges(rows_before=result["rows_before"], rows=result["rows"],
                                      added=result["added"], removed=result["removed"],
                                      changed=result["changed"])
            telling = TELLING.get(mart)
            if telling is None or mart not in comparison.tables or top <= 0:
                continue
            measure = telling.measure
            _, _, old_columns, new_columns = comparison.tables[mart]
            # Revisions and removals first (the run summary's source part already says what
            # came in new), each by how much its measure moved.
            order = "__spf_change = 'added'"
            if measure and measure in old_columns and measure in new_columns:
                o, n = (f"coalesce(try_cast({quoted(side + ':' + measure)} as double), 0)"
                        for side in ("old", "new"))
                order += f", abs({n} - {o}) desc"
            else:  # no measure: removed, then changed
                order += ", __spf_change = 'changed'"
            rows = comparison.rows(mart, order=order, limit=top)
            if rows:
                highlights[mart] = [_sentence(telling, *row) for row in rows]
        return PublicationChanges(from_publication=comparison.ids["old_wh"],
                                  to_publication=comparison.ids["new_wh"], marts=marts,
                                  highlights=highlights)
