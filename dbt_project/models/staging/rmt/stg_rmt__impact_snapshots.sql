select
    outcome_id,
    intervention_id,
    updated_at,
    as_of,
    persons,
    women,
    men,
    page_sha256
from {{ source('rmt', 'rmt_impact_snapshots') }}
