{# Every non-null `column_name` is the submission id (macro ssi_submission_id) of the row's
   country, year and revision columns: the ids Python writes and the ids SQL makes agree. #}
{% test is_ssi_submission_id(model, column_name, country_iso3, year, revision) %}
select *
from {{ model }}
where {{ column_name }} != {{ ssi_submission_id(country_iso3, year, revision) }}
    or ({{ column_name }} is not null and {{ ssi_submission_id(country_iso3, year, revision) }} is null)
{% endtest %}
