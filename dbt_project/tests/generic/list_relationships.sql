{# Every element of the list column `column_name` is a `field` of `to` (a seed's code list):
   the `relationships` test for a column that holds several codes. Returns the rows with an
   unknown code and that code. #}
{% test list_relationships(model, column_name, to, field) %}
select *
from (
    select
        *,
        unnest({{ column_name }}) as unknown_code
    from {{ model }}
) as elements
where unknown_code not in (select {{ field }} from {{ to }})
{% endtest %}
