-- The population the regional marts weigh by: one row per ISO 3166 country and year, from
-- the source the build was given (raw.ref_population: the bundled World Bank seed, or an
-- official UN WPP file; ingest/population.py). Kept in schema ref beside the other
-- reference data, so that the published warehouse shows which figures were used.
{{ config(schema='ref', materialized='table') }}

select
    cast(country_iso3 as varchar) as country_iso3,
    cast(year as integer) as year,
    cast(population as bigint) as population,
    cast(estimate_kind as varchar) as estimate_kind,
    cast(source_year as integer) as source_year,
    cast(world_population as bigint) as world_population,
    -- `source` is the seed's column name (and a keyword sqlfluff would not have as one)
    cast(source as varchar) as source,  -- noqa: RF04
    cast(note as varchar) as note
from {{ source('ref', 'ref_population') }}
