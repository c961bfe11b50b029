select
    submission_id,
    sha256,
    country_iso3,
    reference_year as year,
    revision,
    language,
    country_name as reported_country_name,
    submission_date,
    institution,
    currency,
    sheets,
    loaded_at
from {{ source('ssi', 'ssi_submissions') }}
