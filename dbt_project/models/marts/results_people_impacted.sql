-- One row per outcome of a live intervention, with its latest snapshot on or before the
-- reporting date (null persons: nothing reported yet) and the phase whose window holds it.
select
    o.outcome_id,
    o.intervention_id,
    i.country_iso3,
    o.outcome_type,
    t.impact_category,
    o.branch,
    o.as_of,
    p.phase,
    o.persons,
    o.women,
    o.men,
    o.expected_persons,
    o.expected_date
from {{ ref('int_rmt__outcomes_latest_snapshot') }} as o
inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
inner join {{ ref('outcome_types') }} as t using (outcome_type)
left join {{ ref('programme_phases') }} as p
    on {{ in_phase_window('o.as_of') }}
