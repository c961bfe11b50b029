-- Per phase, each outcome of a live intervention with its latest impact snapshot inside the
-- phase window and on or before the reporting date: the snapshot the phase counts. An
-- outcome with snapshots in both windows counts in each with its own; snapshots outside
-- both windows count in neither, and snapshots are never summed over time.
select
    p.phase,
    s.outcome_id,
    s.intervention_id,
    i.country_iso3,
    i.level,
    o.outcome_type,
    t.impact_category,
    o.branch,
    s.as_of,
    s.persons,
    s.women,
    s.men,
    s.women is not null and s.men is not null as has_sex_split
from {{ ref('int_rmt__impact_snapshots_current') }} as s
inner join {{ ref('int_rmt__outcomes_current') }} as o using (intervention_id, outcome_id)
inner join {{ ref('outcome_types') }} as t using (outcome_type)
inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
inner join {{ ref('programme_phases') }} as p
    on {{ in_phase_window('s.as_of') }}
where s.as_of <= {{ reporting_date() }}
qualify row_number() over (
    partition by p.phase, s.intervention_id, s.outcome_id order by s.as_of desc
) = 1
