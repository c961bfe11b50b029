-- The statisticians' review of each current submission, in two kinds, one vocabulary:
-- a warning is a figure that moved implausibly against the same country's latest earlier
-- reference year (intermediate.int_ssi__year_on_year), by the thresholds of the seed
-- plausibility_thresholds; a flagged figure is a coverage figure whose quality flag is
-- followed up with the country (seed quality_flags, follow_up: above 100 %, a denominator
-- of zero). Neither blocks publication; both say what to look at, and what to ask the
-- country (spf feedback). A submission with either, or rejected or quarantined, needs feedback.
with comparisons as (
    select * from {{ ref('int_ssi__year_on_year') }}
),

thresholds as (
    -- A blank threshold (series_missing) is null in the seed table, an empty string where a
    -- unit test reads the file.
    select
        check_name,
        measure,
        nullif(threshold, '')::double as threshold,
        nullif(unit, '') as unit,
        severity,
        scales_with_years
    from {{ ref('plausibility_thresholds') }}
),

judged as (
    select
        c.*,
        t.check_name,
        t.severity,
        t.unit,
        case when t.scales_with_years then t.threshold end as threshold_per_year,
        -- The threshold for the years between the two reference years.
        case
            when t.scales_with_years then t.threshold * c.years_elapsed else t.threshold
        end as threshold
    from comparisons as c
    inner join thresholds as t using (measure)
),

found as (
    -- A national denominator that changed by more than its yearly allowance.
    select
        *,
        format(
            '{} {} {} {} {}: {:+.1f} % on {} in {} ({}), {} year{} earlier; more than {} %{} '
            || 'is unusual',
            country_iso3, year, item, sex, format('{:,}', new_value::bigint), moved_by,
            format('{:,}', earlier_value::bigint), earlier_year, earlier_submission_id,
            years_elapsed, case when years_elapsed > 1 then 's' else '' end,
            format('{:g}', threshold),
            case
                when years_elapsed > 1
                    then format(' in {} years ({:g} % a year)', years_elapsed, threshold_per_year)
                else ''
            end
        ) as what_was_found
    from judged
    where check_name = 'context_change' and abs(moved_by) > threshold

    -- A coverage figure that moved by more than the allowance, per series and sex.
    union all
    select
        *,
        format(
            '{} {} {} {} {:.1f} %: {:+.1f} points on {:.1f} % in {} ({}); a move of more than '
            || '{:g} points is unusual',
            country_iso3, year, item, sex, new_value, moved_by, earlier_value, earlier_year,
            earlier_submission_id, threshold
        ) as what_was_found
    from judged
    where check_name = 'coverage_change' and abs(moved_by) > threshold

    -- A series computed for the earlier year and not now (its total, SEX_T).
    union all
    select
        *,
        format(
            '{} {} {} {} not computed ({}): it was {:.1f} % in {} ({})',
            country_iso3, year, item, sex, coalesce(
                quality_flag, case when reported_now then 'no figure' else 'not reported' end
            ), earlier_value, earlier_year, earlier_submission_id
        ) as what_was_found
    from judged
    where
        check_name = 'series_missing'
        and sex = 'SEX_T'
        and earlier_value is not null
        and new_value is null

    -- Spending in % of GDP (all functions) that moved by more than the allowance.
    union all
    select
        *,
        format(
            '{} {} expenditure {} {:.1f} % of GDP: {:+.1f} points on {:.1f} % of GDP in {} ({}); '
            || 'a move of more than {:g} points of GDP is unusual',
            country_iso3, year, item, new_value, moved_by, earlier_value, earlier_year,
            earlier_submission_id, threshold
        ) as what_was_found
    from judged
    where check_name = 'expenditure_change' and abs(moved_by) > threshold
)

select
    submission_id,
    country_iso3,
    year,
    'warning' as kind,
    check_name,
    severity,
    item,
    case when measure != 'expenditure' then sex end as sex,
    what_was_found,
    earlier_value,
    new_value,
    moved_by,
    unit,
    threshold,
    quality_flag,
    earlier_submission_id,
    earlier_year,
    years_elapsed
from found

union all

-- Flagged figures: the country's own figure, whatever earlier years said.
select
    c.submission_id,
    c.country_iso3,
    c.year,
    'flagged' as kind,
    c.quality_flag as check_name,
    'warning' as severity,
    c.series as item,
    c.sex,
    format(
        '{} {} {} {}{}: {}', c.country_iso3, c.year, c.series, c.sex,
        case
            when c.coverage_pct is not null then format(' {:.1f} %', c.coverage_pct) else ''
        end,
        f.words
    ) || case
        when c.numerator is not null and c.denominator is not null
            then format(
                ' ({} covered for {} in the population)',
                format('{:,}', c.numerator), format('{:,}', c.denominator)
            )
        else ''
    end as what_was_found,
    null::double as earlier_value,
    c.coverage_pct as new_value,
    null::double as moved_by,
    'percent' as unit,
    null::double as threshold,
    c.quality_flag,
    null as earlier_submission_id,
    null::integer as earlier_year,
    null::integer as years_elapsed
from {{ ref('int_ssi__coverage') }} as c
inner join {{ ref('quality_flags') }} as f on c.quality_flag = f.flag
where f.follow_up and f.applies_to = 'coverage_sdg131'
