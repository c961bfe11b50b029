-- Social protection expenditure per country, year and function (and ALL), national currency
-- and % of GDP, from the latest accepted revision (computed in int_ssi__expenditure).
select
    country_iso3,
    year,
    function,
    expenditure_lcu,
    pct_gdp,
    benefits_cash_lcu,
    benefits_kind_lcu,
    admin_lcu,
    currency,
    gdp_lcu,
    submission_id,
    revision,
    quality_flag
from {{ ref('int_ssi__expenditure') }}
