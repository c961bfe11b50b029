-- SDG 1.3.1 for the ILO's five regions and the World: the reporting countries' numerators
-- over their denominators (denominator-weighted), with how many countries reported and what
-- share of the region's population they hold. Countries that did not report are not imputed.
-- The population is model reference_population: one published source per build (World Bank
-- SP.POP.TOTL by default, or UN WPP), which each row names, with whether any of the region's
-- figures that year was carried forward or projected. A figure whose reporting countries hold
-- less of the region's population than the seed plausibility_thresholds says
-- (low_population_coverage, in percent) is flagged: it speaks for those countries.
with reported as (
    select
        c.*,
        d.ilo_region
    from {{ ref('coverage_sdg131') }} as c
    inner join {{ ref('dim_country') }} as d using (country_iso3)
    where c.coverage_pct is not null
),

scoped as (
    select
        ilo_region as region,
        * exclude (ilo_region)
    from reported
    union all
    select
        'World' as region,
        * exclude (ilo_region)
    from reported
),

population as (
    select
        d.ilo_region as region,
        p.country_iso3,
        p.year,
        p.population,
        p.estimate_kind,
        p.source
    from {{ ref('reference_population') }} as p
    inner join {{ ref('dim_country') }} as d using (country_iso3)
    union all
    select
        'World' as region,
        country_iso3,
        year,
        population,
        estimate_kind,
        source
    from {{ ref('reference_population') }}
),

region_population as (
    select
        region,
        year,
        sum(population) as population,
        string_agg(distinct source, '; ' order by source) as population_source,
        coalesce(bool_or(estimate_kind = 'carried_forward'), false)
            as population_carried_forward,
        coalesce(bool_or(estimate_kind = 'projected'), false) as population_projected
    from population
    group by region, year
),

least_share as (
    select threshold::double / 100 as least_share_reporting
    from {{ ref('plausibility_thresholds') }}
    where check_name = 'low_population_coverage'
),

weighted as (
    select
        s.region,
        s.year,
        s.series,
        s.sex,
        sum(s.numerator) as numerator,
        sum(s.denominator) as denominator,
        100.0 * sum(s.numerator) / sum(s.denominator) as coverage_pct,
        count(*) as countries_reporting,
        sum(p.population) / any_value(r.population) as population_share_reporting,
        any_value(r.population_source) as population_source,
        coalesce(any_value(r.population_carried_forward), false)
            as population_carried_forward,
        coalesce(any_value(r.population_projected), false) as population_projected,
        bool_or(p.population is null) as population_not_covered
    from scoped as s
    left join population as p using (region, country_iso3, year)
    left join region_population as r using (region, year)
    group by s.region, s.year, s.series, s.sex
)

-- One flag per figure, the one that matters most to whoever reads it: a share that cannot be
-- known, then one too small, then population figures that are not the source's own.
select
    w.region,
    w.year,
    w.series,
    w.sex,
    w.numerator,
    w.denominator,
    w.coverage_pct,
    w.countries_reporting,
    w.population_share_reporting,
    w.population_source,
    w.population_carried_forward,
    case
        when w.population_not_covered then 'population_not_covered'
        when w.population_share_reporting < l.least_share_reporting then 'low_population_coverage'
        when w.population_carried_forward then 'population_carried_forward'
        when w.population_projected then 'population_projected'
    end as quality_flag
from weighted as w
cross join least_share as l
