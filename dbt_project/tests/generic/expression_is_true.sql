{# Every row satisfies `expression` (a totals or bounds rule); failing rows are returned. #}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
