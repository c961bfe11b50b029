select
    outcome_id,
    intervention_id,
    updated_at,
    outcome_type,
    branch,
    expected_persons,
    expected_date,
    page_sha256
from {{ source('rmt', 'rmt_outcomes') }}
