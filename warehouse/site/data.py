"""What the pages show, read from one published warehouse file, read-only.

Only the published file is read (marts, the ref seeds, `ops.publications` and
`ops.build_info`; from `intermediate`, the current impact snapshots for people impacted
over time, the snapshot each phase counts and the partners funding each intervention):
no private state, so no personal data can reach a page. Each table is read once, whole,
then grouped in Python by country and thematic area, so that the site of 250 countries
costs a few queries. A mart that this warehouse does not have (an older publication)
reads as empty and its section says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from warehouse.shared.errors import RunFailed
from warehouse.shared.tables import as_dicts

Row = dict


@dataclass
class Published:
    """Every table the pages need, as lists of rows (dicts), and the lookups of codes."""

    publication: Row
    reporting_date: date | None
    tables: dict[str, list[Row]]
    missing: set[str] = field(default_factory=set)  # tables this warehouse does not have

    def __getitem__(self, name: str) -> list[Row]:
        return self.tables.get(name, [])

    def names(self, table: str, key: str, value: str) -> dict:
        return {r[key]: r[value] for r in self[table]}


QUERIES = {
    "countries": "select * from marts.dim_country",
    "branches": "select * from marts.dim_branch",
    "series": "select series, series_name from ref.sdg131_series order by rowid",
    "flags": "select flag, applies_to, words from ref.quality_flags",
    "phases": "select * from ref.programme_phases order by phase",
    "step_targets": "select * from ref.phase_step_targets order by phase, step",
    "impact_categories": "select * from ref.impact_categories order by rowid",
    "impact_targets": "select * from ref.phase_impact_targets",
    "outcome_types": "select * from ref.outcome_types",
    "output_types": "select * from ref.output_types",
    "thematic_areas": "select * from ref.thematic_areas order by rowid",
    "indicators": "select * from ref.results_indicators order by rowid",
    # One row per country, series and year: total, women and men side by side, and the
    # region's figure (total) beside them.
    "coverage": """
        select c.country_iso3, c.series, c.year,
               max(c.coverage_pct) filter (where c.sex = 'SEX_T') as total_pct,
               max(c.coverage_pct) filter (where c.sex = 'SEX_F') as women_pct,
               max(c.coverage_pct) filter (where c.sex = 'SEX_M') as men_pct,
               max(c.quality_flag) filter (where c.sex = 'SEX_T') as total_flag,
               max(c.quality_flag) filter (where c.sex = 'SEX_F') as women_flag,
               max(c.quality_flag) filter (where c.sex = 'SEX_M') as men_flag,
               max(c.numerator) filter (where c.sex = 'SEX_T') as numerator,
               max(c.denominator) filter (where c.sex = 'SEX_T') as denominator,
               min(c.submission_id) as submission_id, min(c.revision) as revision,
               any_value(d.ilo_region) as region,
               any_value(r.coverage_pct) as region_pct,
               any_value(r.countries_reporting) as region_countries,
               any_value(r.population_share_reporting) as region_share,
               any_value(r.quality_flag) as region_flag
        from marts.coverage_sdg131 as c
        left join marts.dim_country as d using (country_iso3)
        left join marts.coverage_sdg131_regional as r
            on r.region = d.ilo_region and r.series = c.series and r.year = c.year
            and r.sex = 'SEX_T'
        group by c.country_iso3, c.series, c.year
        order by c.country_iso3, c.series, c.year""",
    "regional": "select * from marts.coverage_sdg131_regional order by region, series, year",
    "expenditure": """select country_iso3, year, function, pct_gdp, expenditure_lcu, currency,
                             submission_id, quality_flag
                      from marts.sp_expenditure order by country_iso3, year, function""",
    "reporting": """select country_iso3, year, status, accepted_revision,
                           accepted_submission_id, rejected_deliveries,
                           quarantined_deliveries
                    from marts.ssi_reporting_status
                    order by country_iso3, year""",
    "profile": "select * from marts.country_profile",
    "phase_progress": "select * from marts.results_phase_progress order by phase, step",
    "impact_summary": "select * from marts.results_impact_summary order by phase",
    "framework": "select * from marts.results_framework order by phase",
    "impact_by_branch": "select * from marts.results_impact_by_branch",
    "thematic": "select * from marts.results_thematic order by phase",
    "interventions": """select intervention_id, title, country_iso3, level, flagship,
                               thematic_areas, start_date, end_date, funding_usd,
                               changes_achieved, steps_achieved, persons_latest
                        from marts.results_interventions order by intervention_id""",
    "changes": """select change_id, intervention_id, country_iso3, level, step, achieved_on,
                         year, phase, joint_with_partner, partners, title
                  from marts.results_institutional_changes
                  order by achieved_on, change_id""",
    "people": """select distinct country_iso3 from marts.results_people_impacted
                  where country_iso3 is not null""",
    # Per thematic area, phase and impact category: each outcome's snapshot the phase counts
    # (the phase rule of marts.results_thematic), over the area's current interventions.
    "theme_people": """
        select a.thematic_area, p.phase, p.impact_category, sum(p.persons) as persons,
               count(*) as outcomes, count(distinct p.country_iso3) as countries,
               list(distinct p.intervention_id order by p.intervention_id) as interventions
        from intermediate.int_rmt__impact_in_phase as p
        inner join (select intervention_id, unnest(thematic_areas) as thematic_area
                    from marts.results_interventions) as a using (intervention_id)
        group by all
        order by all""",
    "outputs": """select intervention_id, country_iso3, level, output_type, output_date, year,
                         phase, count, title, thematic_areas
                  from marts.results_outputs
                  order by output_date nulls last, intervention_id""",
    "funding_partners": """select intervention_id, list(distinct partner order by partner)
                                  as partners
                           from intermediate.int_rmt__funding_current group by all""",
    # People impacted at the end of each year: each outcome's latest snapshot by then (on or
    # before the reporting date), over the current outcomes of marts.results_people_impacted.
    "people_by_year": """
        with yearly as (
            select outcome_id, year(as_of) as year, arg_max(persons, as_of) as persons
            from intermediate.int_rmt__impact_snapshots_current
            where as_of <= coalesce(getvariable('reporting_date'), current_date)
            group by all
        ),
        spans as (
            select *, lead(year) over (partition by outcome_id order by year) as next_year
            from yearly
        ),
        years as (select distinct year from yearly)
        select p.country_iso3, p.impact_category, y.year, sum(s.persons) as persons,
               count(*) as outcomes,
               list(distinct p.intervention_id order by p.intervention_id) as interventions
        from spans as s
        inner join marts.results_people_impacted as p using (outcome_id)
        inner join years as y
            on y.year >= s.year and (s.next_year is null or y.year < s.next_year)
        group by all
        order by all""",
}


def read(warehouse: Path) -> Published:
    """Read what the pages show from a published warehouse file (or a kept publication)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        publication = as_dicts(con.execute("select * from ops.publications "
                                           "order by sequence desc limit 1"))
        if not publication:
            raise RunFailed(f"{warehouse} has no publication (ops.publications is empty)")
        info = dict(con.execute("select key, value from ops.build_info").fetchall())
        reporting = publication[0].get("reporting_date") or (
            date.fromisoformat(info["reporting_date"]) if info.get("reporting_date") else None)
        con.execute("set variable reporting_date = ?", [reporting])
        tables, missing = {}, set()
        for name, sql in QUERIES.items():
            try:
                tables[name] = as_dicts(con.execute(sql))
            except duckdb.CatalogException:  # a mart this publication does not have
                missing.add(name)
            except duckdb.BinderException:  # a column it does not have yet
                missing.add(name)
    finally:
        con.close()
    return Published(publication=publication[0], reporting_date=reporting, tables=tables,
                     missing=missing)


def group(rows: list[Row], *keys: str) -> dict:
    """Rows by the value of `keys` (one key: the value; several: a tuple)."""
    out: dict = defaultdict(list)
    for row in rows:
        out[row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)].append(row)
    return out
