-- The latest version of each intervention, unless that version is a tombstone: a later
-- version replaces an earlier one entirely, and a deleted intervention leaves the marts.
with latest as (
    select *
    from {{ ref('stg_rmt__interventions') }}
    qualify row_number() over (partition by intervention_id order by updated_at desc) = 1
)

select
    intervention_id,
    updated_at,
    title,
    country_iso3,
    level,
    flagship,
    thematic_areas,
    start_date,
    end_date,
    fetch_id,
    page_sha256
from latest
where not deleted
