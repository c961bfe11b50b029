select
    intervention_id,
    updated_at,
    position,
    partner,
    year,
    amount_usd,
    page_sha256
from {{ source('rmt', 'rmt_funding') }}
