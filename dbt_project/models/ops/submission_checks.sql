-- The statisticians' review: what looks implausible in each current submission against the
-- same country's latest earlier reference year (intermediate.int_ssi__year_on_year), by the
-- thresholds of the seed plausibility_thresholds. Warnings: they never block publication;
-- they say what to look at, and what to ask the country (spf feedback).
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
