select
    intervention_id,
    updated_at,
    deleted,
    title,
    country_iso3,
    level,
    flagship,
    thematic_areas,
    start_date,
    end_date,
    fetch_id,
    page_sha256
from {{ source('rmt', 'rmt_interventions') }}
