select
    sha256,
    original_name,
    fetch_id,
    page,
    size_bytes,
    received_at,
    status
from {{ source('rmt', 'rmt_pages') }}
