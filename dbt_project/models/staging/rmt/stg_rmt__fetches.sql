select
    fetch_id,
    route,
    origin,
    updated_since,
    status,
    reason_code,
    reason_message,
    problems,
    pages,
    items,
    new_versions,
    high_water_mark,
    run_id,
    processed_at
from {{ source('rmt', 'rmt_fetches') }}
