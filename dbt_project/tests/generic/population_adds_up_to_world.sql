{# Each year, the countries' populations add up to the source's own world total
   (world_population) within `tolerance` (0.01: 1 %); returns the years that do not, or that
   have no single world total. #}
{% test population_adds_up_to_world(model, tolerance) %}
select
    year,
    sum(population) as countries_total,
    min(world_population) as world_population,
    count(distinct world_population) as world_totals
from {{ model }}
group by year
having
    count(distinct world_population) != 1
    or count(world_population) != count(*)
    or sum(population) is null
    or abs(sum(population) / min(world_population) - 1) > {{ tolerance }}
{% endtest %}
