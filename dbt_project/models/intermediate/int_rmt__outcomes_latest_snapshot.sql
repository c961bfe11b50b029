-- Each outcome with its latest snapshot on or before the reporting date. Snapshots are
-- cumulative (persons reached as of a date), so the latest one is the outcome's impact;
-- summing snapshots would count the same people again.
with snapshots as (
    select *
    from {{ ref('int_rmt__impact_snapshots_current') }}
    where as_of <= {{ reporting_date() }}
    qualify row_number() over (partition by intervention_id, outcome_id order by as_of desc) = 1
)

select
    o.outcome_id,
    o.intervention_id,
    o.outcome_type,
    o.branch,
    o.expected_persons,
    o.expected_date,
    s.as_of,
    s.persons,
    s.women,
    s.men
from {{ ref('int_rmt__outcomes_current') }} as o
left join snapshots as s using (intervention_id, outcome_id)
