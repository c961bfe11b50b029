-- Every input of every SDG 1.3.1 series, one row per term, sex and spreadsheet row, for the
-- current submissions. `part` says where the term goes: the numerator, the denominator
-- (`denominator`) or what the denominator subtracts (`denominator_less`). A null `persons`
-- is a value the country did not report; int_ssi__series_computed turns it into a missing
-- figure, never a zero. See ../shared/specs/sdg131-method.md.
with current_submissions as (
    select submission_id, list_contains(sheets, 'contributors') as has_contributors
    from {{ ref('int_ssi__submissions_current') }}
),

beneficiaries as (
    select b.*, s.scheme_type
    from {{ ref('stg_ssi__beneficiaries') }} as b
    inner join current_submissions using (submission_id)
    inner join {{ ref('stg_ssi__schemes') }} as s using (submission_id, scheme_id)
    where b.is_cash_recipient
),

cash as (
    select * from (
        select
            submission_id, function, scheme_type, total, men,
            -- Maternity recipients are women: when the split is blank and no men are
            -- reported, all of them are women.
            case
                when function = 'MATERN' and women is null and coalesce(men, 0) = 0
                    then total
                else women
            end as women
        from beneficiaries
    )
    unpivot include nulls (
        persons for sex in (total as 'SEX_T', women as 'SEX_F', men as 'SEX_M')
    )
),

contributors as (
    select * from (
        select c.submission_id, c.function, s.scheme_type, c.total, c.women, c.men
        from {{ ref('stg_ssi__contributors') }} as c
        inner join current_submissions using (submission_id)
        inner join {{ ref('stg_ssi__schemes') }} as s using (submission_id, scheme_id)
    )
    unpivot include nulls (
        persons for sex in (total as 'SEX_T', women as 'SEX_F', men as 'SEX_M')
    )
),

active_contributors as (
    select * from contributors where function is null and scheme_type = 'SI'
),

context as (
    select * from (
        select
            c.submission_id, c.item, c.total, c.men,
            -- Women giving birth are women: a blank split means the total.
            case when c.item = 'BIRTHS' then coalesce(c.women, c.total) else c.women end
                as women
        from {{ ref('stg_ssi__context') }} as c
        inner join current_submissions using (submission_id)
    )
    unpivot include nulls (
        persons for sex in (total as 'SEX_T', women as 'SEX_F', men as 'SEX_M')
    )
),

series_by_function as (
    select * from (values
        ('SOC_CONTIG_CHILD', 'CHILD', 'POP_0_14'),
        ('SOC_CONTIG_MAT', 'MATERN', 'BIRTHS'),
        ('SOC_CONTIG_DISAB', 'DIS', 'DIS_SEVERE'),
        ('SOC_CONTIG_UNE', 'UNE', 'UNEMPLOYED'),
        ('SOC_CONTIG_PENSION', 'OLD', 'POP_PENSIONABLE')
    ) as t (series, function, denominator_item)
),

terms as (
    -- Contingency series: cash recipients of one function over one population.
    select cash.submission_id, m.series, cash.sex, 'numerator' as part, cash.persons
    from cash inner join series_by_function as m using (function)

    union all
    select context.submission_id, m.series, context.sex, 'denominator', context.persons
    from context inner join series_by_function as m on context.item = m.denominator_item

    -- Employment injury: workers protected (contributors of INJ rows) over the employed.
    union all
    select submission_id, 'SOC_CONTIG_INJ', sex, 'numerator', persons
    from contributors where function = 'INJ'

    union all
    select submission_id, 'SOC_CONTIG_INJ', sex, 'denominator', persons
    from context where item = 'EMPLOYED'

    -- Vulnerable persons: non-contributory cash recipients over the population that
    -- neither contributes nor receives a contributory benefit.
    union all
    select submission_id, 'SOC_CONTIG_VULN', sex, 'numerator', persons
    from cash where scheme_type in ('UNI', 'SA')

    union all
    select submission_id, 'SOC_CONTIG_VULN', sex, 'denominator', persons
    from context where item = 'POP_TOTAL'

    union all
    select submission_id, 'SOC_CONTIG_VULN', sex, 'denominator_less', persons
    from active_contributors

    union all
    select submission_id, 'SOC_CONTIG_VULN', sex, 'denominator_less', persons
    from cash where scheme_type = 'SI' and function not in ('MATERN', 'SICK')

    -- Total: active contributors plus recipients of the functions that are not normally
    -- also contributors (MATERN and SICK are left out to avoid double counting).
    union all
    select submission_id, 'SOC_CONTIG_TOTAL', sex, 'numerator', persons
    from active_contributors

    union all
    select submission_id, 'SOC_CONTIG_TOTAL', sex, 'numerator', persons
    from cash where function in ('CHILD', 'DIS', 'OLD', 'SURV', 'UNE', 'SA', 'INJ')

    union all
    select submission_id, 'SOC_CONTIG_TOTAL', sex, 'denominator', persons
    from context where item = 'POP_TOTAL'
)

select terms.*
from terms
inner join current_submissions using (submission_id)
-- Without a contributors sheet, the total and vulnerable series cannot be computed.
where has_contributors or series not in ('SOC_CONTIG_TOTAL', 'SOC_CONTIG_VULN')
