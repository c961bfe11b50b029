{# Every country of `countries` has a row for every year from `first_year` to `last_year`
   (with `require_figure`, a positive population too); returns the country-years that do not. #}
{% test population_covers_countries(model, countries, first_year, last_year,
                                    require_figure=false) %}
with expected as (
    select distinct
        c.country_iso3,
        y.year
    from {{ countries }} as c
    cross join (select unnest(range({{ first_year }}, {{ last_year }} + 1)) as year) as y
)

select
    e.country_iso3,
    e.year,
    p.population
from expected as e
left join {{ model }} as p
    on e.country_iso3 = p.country_iso3 and e.year = p.year
where p.country_iso3 is null
{%- if require_figure %}
    or p.population is null or p.population <= 0
{%- endif %}
{% endtest %}
