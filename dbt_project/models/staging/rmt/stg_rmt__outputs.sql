select
    intervention_id,
    updated_at,
    position,
    output_type,
    output_date,
    count as output_count,
    title,
    page_sha256
from {{ source('rmt', 'rmt_outputs') }}
