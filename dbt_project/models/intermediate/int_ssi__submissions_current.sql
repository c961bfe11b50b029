-- The latest accepted revision of each country and year: the only one the marts show.
select
    submission_id,
    sha256,
    country_iso3,
    year,
    revision,
    language,
    reported_country_name,
    submission_date,
    institution,
    currency,
    sheets,
    loaded_at
from {{ ref('stg_ssi__submissions') }}
qualify row_number() over (partition by country_iso3, year order by revision desc) = 1
