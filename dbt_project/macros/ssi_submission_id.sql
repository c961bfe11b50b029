{# The id of an SSI submission, ISO3-YEAR-rREV (e.g. KHM-2019-r2), from the SQL expressions
   of its country, reference year and revision: the one place SQL writes the format.
   ingest/ssi_workbook.py (submission_id) writes the same ids into the raw layer, and
   stg_ssi__files tests that every id there follows this macro. #}
{% macro ssi_submission_id(country_iso3, year, revision) -%}
    ({{ country_iso3 }} || '-' || {{ year }} || '-r' || {{ revision }})
{%- endmacro %}
