select
    country_iso3,
    country_name,
    official_name,
    iso_numeric
from {{ source('ref', 'ref_countries') }}
