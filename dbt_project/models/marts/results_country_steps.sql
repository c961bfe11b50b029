-- One row per focus country, phase, step and year of the phase: did the country achieve
-- a change of that step that year? This is the country-by-step table of the annual reports.
with frame as (
    select
        f.country_iso3,
        f.phase,
        s.step,
        y.year
    from {{ ref('focus_countries') }} as f
    inner join {{ ref('programme_phases') }} as p using (phase)
    cross join (select unnest([1, 2, 3]) as step) as s
    cross join lateral (
        select unnest(range(year(p.start_date), year(p.end_date) + 1)) as year
    ) as y
),

achieved as (
    select country_iso3, phase, step, year, count(*) as changes
    from {{ ref('results_institutional_changes') }}
    where phase is not null
    group by all
)

select
    frame.country_iso3,
    frame.phase,
    frame.step,
    frame.year,
    coalesce(a.changes, 0) > 0 as achieved,
    coalesce(a.changes, 0) as changes
from frame
left join achieved as a using (country_iso3, phase, step, year)
