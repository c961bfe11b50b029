-- SDG indicator 1.3.1 by country, year, series and sex, from the latest accepted revision
-- (computed in int_ssi__coverage).
select
    country_iso3,
    year,
    series,
    sex,
    numerator,
    denominator,
    coverage_pct,
    submission_id,
    revision,
    quality_flag
from {{ ref('int_ssi__coverage') }}
