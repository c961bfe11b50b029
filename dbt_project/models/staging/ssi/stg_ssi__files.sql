select
    sha256,
    original_name,
    size_bytes,
    received_at,
    status,
    reason_code,
    reason_message,
    problems,
    submission_id,
    country_iso3,
    reference_year,
    revision,
    run_id,
    processed_at
from {{ source('ssi', 'ssi_files') }}
