{# The date results are reported as of: the `reporting_date` var (YYYY-MM-DD), else today.
   Changes achieved and snapshots dated after it do not count yet. #}
{% macro reporting_date() -%}
    {%- if var('reporting_date', none) -%}
        date '{{ var("reporting_date") }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}
