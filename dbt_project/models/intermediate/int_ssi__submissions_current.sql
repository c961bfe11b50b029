-- The latest accepted revision of each country and year: the only one the marts show
-- (the supersede rule is int_ssi__submission_revisions').
select
    s.submission_id,
    s.sha256,
    s.country_iso3,
    s.year,
    s.revision,
    s.language,
    s.reported_country_name,
    s.submission_date,
    s.institution,
    s.currency,
    s.sheets,
    s.loaded_at
from {{ ref('stg_ssi__submissions') }} as s
inner join {{ ref('int_ssi__submission_revisions') }} as r using (submission_id)
where not r.is_superseded
