-- People impacted per phase and impact category: each outcome counts with its latest
-- snapshot inside the phase window (and on or before the reporting date); snapshots are
-- never summed over time.
with latest_in_phase as (
    select
        p.phase,
        t.impact_category,
        s.intervention_id,
        s.outcome_id,
        s.persons
    from {{ ref('int_rmt__impact_snapshots_current') }} as s
    inner join {{ ref('int_rmt__outcomes_current') }} using (intervention_id, outcome_id)
    inner join {{ ref('outcome_types') }} as t using (outcome_type)
    inner join {{ ref('programme_phases') }} as p
        on s.as_of between p.start_date and p.end_date
    where s.as_of <= {{ reporting_date() }}
    qualify row_number() over (
        partition by p.phase, s.intervention_id, s.outcome_id order by s.as_of desc
    ) = 1
),

summed as (
    select
        l.phase,
        l.impact_category,
        sum(l.persons) as persons,
        count(*) as outcomes,
        count(distinct i.country_iso3) as countries_reporting
    from latest_in_phase as l
    inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
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
