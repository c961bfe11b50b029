"""The statisticians' review on the published warehouse: who has not reported a year yet."""

from __future__ import annotations

from pathlib import Path

from warehouse.query import run_query

# Every country, with what became of its deliveries for the year when it sent any: from
# dim_country, so that a year outside marts.ssi_reporting_status (nothing accepted yet for
# it) lists every country as not received.
MISSING_SQL = """
    select
        d.country_iso3,
        d.country_name,
        case
            when d.phase1_focus and d.phase2_focus then 'phases 1 and 2'
            when d.phase1_focus then 'phase 1'
            when d.phase2_focus then 'phase 2'
        end as focus,
        coalesce(s.status, 'not_received') as status,
        coalesce(s.rejected_deliveries, 0) as rejected,
        coalesce(s.quarantined_deliveries, 0) as quarantined,
        s.latest_problem
    from marts.dim_country as d
    left join marts.ssi_reporting_status as s
        on s.country_iso3 = d.country_iso3 and s.year = {year}
    where coalesce(s.status, 'not_received') != 'accepted'
    order by d.phase1_focus or d.phase2_focus desc, d.phase1_focus desc, d.country_iso3
"""


def missing_reports(warehouse: Path, year: int) -> tuple[list[str], list[tuple]]:
    """Countries with no accepted SSI submission for `year`, focus countries first (phase 1,
    then phase 2 only, then the others, each by ISO3 code), read-only on the published
    warehouse: status (not_received, rejected, quarantined), deliveries turned away, and the
    reason code of the latest one."""
    return run_query(warehouse, MISSING_SQL.format(year=int(year)))
