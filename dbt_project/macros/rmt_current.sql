{# Rows of `relation` that belong to the current version of a live intervention. #}
{% macro rmt_current(relation) -%}
    select rows.*
    from {{ relation }} as rows
    semi join {{ ref('int_rmt__interventions_current') }} as current
        on rows.intervention_id = current.intervention_id
        and rows.updated_at = current.updated_at
{%- endmacro %}
