select
    change_id,
    intervention_id,
    updated_at,
    step,
    title,
    status,
    achieved_on,
    branches,
    partners,
    page_sha256
from {{ source('rmt', 'rmt_institutional_changes') }}
