-- Contributors of the current submissions, one row per spreadsheet row and sex.
select
    c.submission_id,
    c.source_row,
    c.scheme_id,
    s.scheme_type,
    c.function,
    u.sex,
    u.persons
from {{ ref('stg_ssi__contributors') }} as c
inner join {{ ref('int_ssi__submissions_current') }} using (submission_id)
inner join {{ ref('stg_ssi__schemes') }} as s using (submission_id, scheme_id)
cross join lateral (
    select
        v.sex,
        v.persons
    from (values ('SEX_T', c.total), ('SEX_F', c.women), ('SEX_M', c.men)) as v (sex, persons)
) as u
