-- National denominators of the current submissions, one row per item and sex.
select
    c.submission_id,
    c.source_row,
    c.item,
    u.sex,
    u.persons
from {{ ref('stg_ssi__context') }} as c
inner join {{ ref('int_ssi__submissions_current') }} using (submission_id)
cross join lateral (
    select
        v.sex,
        v.persons
    from (
        values
        ('SEX_T', c.total),
        -- Women giving birth are women: a blank split means the total.
        ('SEX_F', case when c.item = 'BIRTHS' then coalesce(c.women, c.total) else c.women end),
        ('SEX_M', c.men)
    ) as v (sex, persons)
) as u
