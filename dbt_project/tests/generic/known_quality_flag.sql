{# Every quality flag `column_name` holds is a flag of the seed quality_flags (`to`) that
   applies to one of `applies_to` (mart names): a flag is described there, in words for
   people and with its ILOSTAT status, before a model may emit it. #}
{% test known_quality_flag(model, column_name, to, applies_to) %}
select {{ column_name }} as quality_flag
from {{ model }}
where
    {{ column_name }} is not null
    and {{ column_name }} not in (
        select flag from {{ to }}
        where applies_to in ('{{ applies_to | join("', '") }}')
    )
{% endtest %}
