-- Every fetch of project reports (an API call or an export folder) and what became of it.
with fetch_pages as (
    select
        fetch_id,
        list(original_name order by original_name) as page_files
    from {{ ref('stg_rmt__pages') }}
    group by all
)

select
    f.fetch_id,
    f.route,
    f.origin,
    f.updated_since,
    f.status,
    f.reason_code,
    f.reason_message,
    f.problems,
    f.pages,
    f.items,
    f.new_versions,
    f.high_water_mark,
    f.run_id,
    f.processed_at,
    p.page_files
from {{ ref('stg_rmt__fetches') }} as f
left join fetch_pages as p using (fetch_id)
