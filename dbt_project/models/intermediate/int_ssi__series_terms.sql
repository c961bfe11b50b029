-- Every input of every SDG 1.3.1 series, one row per term, sex and spreadsheet row, as
-- ../shared/specs/sdg131-method.md defines them. `part` says where a term goes: the
-- numerator, the denominator, or what the denominator subtracts (`denominator_less`).
-- A null `persons` is a value the country did not report: int_ssi__series_computed turns
-- it into a missing figure, never a zero.
with cash as (
    select * from {{ ref('int_ssi__cash_recipients') }}
),

contributors as (
    select * from {{ ref('int_ssi__contributors_by_sex') }}
),

-- Active contributors: the blank-function rows of contributory (SI) schemes.
active_contributors as (
    select * from contributors where function is null and scheme_type = 'SI'
),

context as (
    select * from {{ ref('int_ssi__context_by_sex') }}
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

    -- Vulnerable persons: non-contributory cash recipients over the population that neither
    -- contributes nor receives a contributory benefit (other than maternity and sickness).
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

    -- Total: active contributors plus recipients of the functions whose recipients are not
    -- normally also contributors; MATERN and SICK are left out to avoid double counting.
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
inner join {{ ref('int_ssi__submissions_current') }} as s using (submission_id)
-- Without a contributors sheet, the total and vulnerable series cannot be computed.
where list_contains(s.sheets, 'contributors')
    or terms.series not in ('SOC_CONTIG_TOTAL', 'SOC_CONTIG_VULN')
