-- The latest accepted revision of each country and year: the only one the marts show.
select *
from {{ ref('stg_ssi__submissions') }}
qualify row_number() over (partition by country_iso3, year order by revision desc) = 1
