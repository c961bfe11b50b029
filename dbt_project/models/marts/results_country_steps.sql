-- One row per focus country, phase, step and year of the phase: did the country achieve
-- a change of that step that year? This is the country-by-step table of the annual reports.
with steps as (
    select unnest([1, 2, 3]) as step
),

-- Every calendar year of each phase window.
phase_years as (
    select
        phase,
        unnest(range(year(start_date), year(end_date) + 1)) as year
    from {{ ref('programme_phases') }}
),

frame as (
    select
        f.country_iso3,
        f.phase,
        s.step,
        y.year
    from {{ ref('focus_countries') }} as f
    inner join phase_years as y using (phase)
    cross join steps as s
),

achieved as (
    select
        country_iso3,
        phase,
        step,
        year,
        count(*) as changes
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
