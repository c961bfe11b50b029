-- Every landed SSI workbook and what became of it; what statisticians check first.
with files as (
    select * from {{ ref('stg_ssi__files') }}
),

latest as (
    select
        country_iso3,
        reference_year,
        max(revision) as latest_revision
    from files
    where status = 'loaded'
    group by all
)

select
    f.sha256,
    f.original_name,
    f.size_bytes,
    f.received_at,
    f.country_iso3,
    f.reference_year,
    f.revision,
    f.submission_id,
    case
        when f.status = 'loaded' and f.revision < l.latest_revision then 'superseded'
        else f.status
    end as status,
    case
        when f.status = 'loaded' and f.revision < l.latest_revision
            then f.country_iso3 || '-' || f.reference_year || '-r' || l.latest_revision
    end as superseded_by,
    f.reason_code,
    f.reason_message,
    f.problems,
    f.run_id,
    f.processed_at
from files as f
left join latest as l using (country_iso3, reference_year)
