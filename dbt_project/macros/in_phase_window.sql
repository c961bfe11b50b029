{# Whether a date falls inside a programme phase's window (seed programme_phases, joined
   as `phases`): both ends count, so the first and last days belong to the phase. #}
{% macro in_phase_window(date, phases='p') -%}
    {{ date }} between {{ phases }}.start_date and {{ phases }}.end_date
{%- endmacro %}
