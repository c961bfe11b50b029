-- What a country page shows: the latest coverage figure of each SDG 1.3.1 series (total,
-- both sexes) with its year, the steps achieved in each phase, people impacted per
-- category as of the reporting date, and funding mobilized. One row per country that is
-- a focus country or has any figure.
{#- Each series (SERIES_pct, SERIES_year) and impact category (CATEGORY_persons) is
    a column, in the order of its seed; the lists are read from the seeds at compile time
    (rowid: the order the seed's rows were loaded in, that of the file). -#}
{%- set series_seed = ref('sdg131_series') -%}
{%- set categories_seed = ref('impact_categories') -%}
{%- set series = [] -%}
{%- set categories = [] -%}
{%- if execute -%}
    {%- set series = run_query(
        'select series from ' ~ series_seed ~ ' order by rowid'
    ).columns[0].values() -%}
    {%- set categories = run_query(
        'select impact_category from ' ~ categories_seed ~ ' order by rowid'
    ).columns[0].values() -%}
{%- endif %}
with latest_coverage as (
    select
        country_iso3,
        series,
        year,
        coverage_pct
    from {{ ref('coverage_sdg131') }}
    where sex = 'SEX_T' and coverage_pct is not null
    qualify row_number() over (partition by country_iso3, series order by year desc) = 1
),

coverage as (
    select
        {% for s in series %}
            max(coverage_pct) filter (where series = '{{ s }}') as {{ s | lower }}_pct,
            max(year) filter (where series = '{{ s }}') as {{ s | lower }}_year,
        {% endfor %}
        country_iso3
    from latest_coverage
    group by all
),

steps as (
    select
        country_iso3,
        list_sort(list(distinct step) filter (where phase = 1)) as phase1_steps_achieved,
        list_sort(list(distinct step) filter (where phase = 2)) as phase2_steps_achieved
    from {{ ref('results_institutional_changes') }}
    where country_iso3 is not null
    group by all
),

people as (
    select
        {% for c in categories %}
            sum(persons) filter (where impact_category = '{{ c }}') as {{ c }}_persons,
        {% endfor %}
        country_iso3
    from {{ ref('results_people_impacted') }}
    where country_iso3 is not null
    group by all
),

funding as (
    select
        i.country_iso3,
        sum(f.amount_usd) as funding_usd
    from {{ ref('int_rmt__funding_current') }} as f
    inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
    where i.country_iso3 is not null
    group by all
),

countries as (
    select country_iso3 from {{ ref('dim_country') }}
    where phase1_focus or phase2_focus
    union
    select country_iso3 from coverage
    union
    select country_iso3 from steps
    union
    select country_iso3 from people
    union
    select country_iso3 from funding
)

select
    countries.country_iso3,
    d.country_name,
    d.ilo_region,
    d.phase1_focus,
    d.phase2_focus,
    {% for s in series %}
        coverage.{{ s | lower }}_pct,
        coverage.{{ s | lower }}_year,
    {% endfor %}
    coalesce(steps.phase1_steps_achieved, []) as phase1_steps_achieved,
    coalesce(steps.phase2_steps_achieved, []) as phase2_steps_achieved,
    {% for c in categories %}
        people.{{ c }}_persons,
    {% endfor %}
    funding.funding_usd
from countries
inner join {{ ref('dim_country') }} as d using (country_iso3)
left join coverage using (country_iso3)
left join steps using (country_iso3)
left join people using (country_iso3)
left join funding using (country_iso3)
