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
    select * from contributors
    where function is null and scheme_type = 'SI'
),

context as (
    select * from {{ ref('int_ssi__context_by_sex') }}
),

-- Contingency series: the function whose recipients they count and the population they
-- count them over, from the seed (blank for the series with rules of their own below). A
-- blank cell is null in the seed table, an empty string where a unit test reads the file.
series_by_function as (
    select
        series,
        numerator_function as function,
        denominator_item
    from {{ ref('sdg131_series') }}
    where coalesce(numerator_function, '') != ''
),

terms as (
    -- Contingency series: cash recipients of one function over one population.
    select
        cash.submission_id,
        m.series,
        cash.sex,
        'numerator' as part,
        cash.persons
    from cash inner join series_by_function as m using (function)

    union all
    select
        context.submission_id,
        m.series,
        context.sex,
        'denominator' as part,
        context.persons
    from context inner join series_by_function as m on context.item = m.denominator_item

    -- Employment injury: workers protected (contributors of INJ rows) over the employed.
    union all
    select
        submission_id,
        'SOC_CONTIG_INJ' as series,
        sex,
        'numerator' as part,
        persons
    from contributors
    where function = 'INJ'

    union all
    select
        submission_id,
        'SOC_CONTIG_INJ' as series,
        sex,
        'denominator' as part,
        persons
    from context
    where item = 'EMPLOYED'

    -- Vulnerable persons: non-contributory cash recipients over the population that neither
    -- contributes nor receives a contributory benefit (other than maternity and sickness).
    union all
    select
        submission_id,
        'SOC_CONTIG_VULN' as series,
        sex,
        'numerator' as part,
        persons
    from cash
    where scheme_type in ('UNI', 'SA')

    union all
    select
        submission_id,
        'SOC_CONTIG_VULN' as series,
        sex,
        'denominator' as part,
        persons
    from context
    where item = 'POP_TOTAL'

    union all
    select
        submission_id,
        'SOC_CONTIG_VULN' as series,
        sex,
        'denominator_less' as part,
        persons
    from active_contributors

    union all
    select
        submission_id,
        'SOC_CONTIG_VULN' as series,
        sex,
        'denominator_less' as part,
        persons
    from cash
    where scheme_type = 'SI' and function not in ('MATERN', 'SICK')

    -- Total: active contributors plus recipients of the functions whose recipients are not
    -- normally also contributors; MATERN and SICK are left out to avoid double counting.
    union all
    select
        submission_id,
        'SOC_CONTIG_TOTAL' as series,
        sex,
        'numerator' as part,
        persons
    from active_contributors

    union all
    select
        submission_id,
        'SOC_CONTIG_TOTAL' as series,
        sex,
        'numerator' as part,
        persons
    from cash
    where function in ('CHILD', 'DIS', 'OLD', 'SURV', 'UNE', 'SA', 'INJ')

    union all
    select
        submission_id,
        'SOC_CONTIG_TOTAL' as series,
        sex,
        'denominator' as part,
        persons
    from context
    where item = 'POP_TOTAL'
)

select terms.*
from terms
inner join {{ ref('int_ssi__submissions_current') }} as s using (submission_id)
-- Without a contributors sheet, the total and vulnerable series cannot be computed.
where
    list_contains(s.sheets, 'contributors')
    or terms.series not in ('SOC_CONTIG_TOTAL', 'SOC_CONTIG_VULN')
