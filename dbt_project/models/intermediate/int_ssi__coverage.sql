-- SDG indicator 1.3.1 by country, year, series and sex, from the latest accepted revision,
-- with its quality flag (seed quality_flags says what each means): what marts.coverage_sdg131
-- publishes and int_ssi__year_on_year compares.
with figures as (
    select
        s.country_iso3,
        s.year,
        f.series,
        f.sex,
        f.numerator::bigint as numerator,
        f.denominator::bigint as denominator,
        s.submission_id,
        s.revision
    from {{ ref('int_ssi__series_computed') }} as f
    inner join {{ ref('int_ssi__submissions_current') }} as s using (submission_id)
)

select
    country_iso3,
    year,
    series,
    sex,
    numerator,
    denominator,
    case
        when numerator is not null and denominator > 0 then 100.0 * numerator / denominator
    end as coverage_pct,
    submission_id,
    revision,
    case
        when numerator is null then 'numerator_missing'
        when denominator is null then 'denominator_missing'
        when denominator <= 0 then 'denominator_not_positive'
        when numerator > denominator then 'numerator_exceeds_denominator'
    end as quality_flag
from figures
-- A sex split is shown only when computed; the total is shown with its reason when not.
where sex = 'SEX_T' or (numerator is not null and denominator is not null)
