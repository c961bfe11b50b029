-- Benefit recipients of the current submissions, one row per spreadsheet row and sex, every
-- benefit form: which of them count towards a series is the seed sdg131_terms' to say
-- (int_ssi__series_terms).
select
    b.submission_id,
    b.source_row,
    b.scheme_id,
    s.scheme_type,
    b.function,
    b.benefit_form,
    u.sex,
    u.persons
from {{ ref('stg_ssi__beneficiaries') }} as b
inner join {{ ref('int_ssi__submissions_current') }} using (submission_id)
inner join {{ ref('stg_ssi__schemes') }} as s using (submission_id, scheme_id)
cross join
    lateral (
        select
            v.sex,
            v.persons
        from (
            values
            ('SEX_T', b.total),
            -- Maternity recipients are women: with no split and no men, all of them are women.
            (
                'SEX_F',
                case
                    when b.function = 'MATERN' and b.women is null and coalesce(b.men, 0) = 0
                        then b.total
                    else b.women
                end
            ),
            ('SEX_M', b.men)
        ) as v (sex, persons)
    ) as u
