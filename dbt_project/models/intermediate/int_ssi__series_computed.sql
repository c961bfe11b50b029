-- Numerator and denominator of each series, sex and current submission, from its terms.
-- A term the country left blank makes its side missing (null), never zero. A series is
-- computed only where the country reported at least one numerator row.
with totals as (
    select
        submission_id,
        series,
        sex,
        count(*) filter (where part = 'numerator') as numerator_rows,
        bool_or(persons is null) filter (where part = 'numerator') as numerator_gap,
        sum(persons) filter (where part = 'numerator') as numerator_sum,
        count(*) filter (where part = 'denominator') as denominator_rows,
        bool_or(persons is null) filter (where part = 'denominator') as denominator_gap,
        sum(persons) filter (where part = 'denominator') as denominator_sum,
        coalesce(bool_or(persons is null) filter (where part = 'denominator_less'), false)
            as less_gap,
        coalesce(sum(persons) filter (where part = 'denominator_less'), 0) as less_sum
    from {{ ref('int_ssi__series_terms') }}
    group by all
),

figures as (
    select
        submission_id,
        series,
        sex,
        case when not numerator_gap then numerator_sum end as numerator,
        case
            when denominator_rows = 1 and not denominator_gap and not less_gap
                then denominator_sum - less_sum
        end as denominator
    from totals
    where numerator_rows > 0
)

-- Maternity is a series of women: its SEX_T is its SEX_F.
select * from figures
where series != 'SOC_CONTIG_MAT'
union all
select
    submission_id,
    series,
    sex,
    numerator,
    denominator
from figures
where series = 'SOC_CONTIG_MAT' and sex = 'SEX_F'
union all
select
    submission_id,
    series,
    'SEX_T' as sex,
    numerator,
    denominator
from figures
where series = 'SOC_CONTIG_MAT' and sex = 'SEX_F'
