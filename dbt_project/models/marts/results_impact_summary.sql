-- People impacted per phase and impact category: each outcome counts with its latest
-- snapshot inside the phase window (and on or before the reporting date: the rule of
-- int_rmt__impact_in_phase); snapshots are never summed over time.
with summed as (
    select
        phase,
        impact_category,
        sum(persons) as persons,
        count(*) as outcomes,
        count(distinct country_iso3) as countries_reporting
    from {{ ref('int_rmt__impact_in_phase') }}
    group by all
)

select
    t.phase,
    t.impact_category,
    coalesce(s.persons, 0) as persons,
    t.target_persons,
    coalesce(s.countries_reporting, 0) as countries_reporting,
    coalesce(s.outcomes, 0) as outcomes
from {{ ref('phase_impact_targets') }} as t
left join summed as s using (phase, impact_category)
