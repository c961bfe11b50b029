-- Every landed SSI workbook and what became of it; what statisticians check first. A loaded
-- one that a higher revision replaced is superseded (int_ssi__submission_revisions).
select
    f.sha256,
    f.original_name,
    f.size_bytes,
    f.received_at,
    f.country_iso3,
    f.reference_year,
    f.revision,
    f.submission_id,
    case when r.is_superseded then 'superseded' else f.status end as status,
    r.superseded_by,
    f.reason_code,
    f.reason_message,
    f.problems,
    f.run_id,
    f.processed_at
from {{ ref('stg_ssi__files') }} as f
left join {{ ref('int_ssi__submission_revisions') }} as r
    on f.status = 'loaded' and f.submission_id = r.submission_id
