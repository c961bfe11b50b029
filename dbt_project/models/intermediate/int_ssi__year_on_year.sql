-- Each current submission against the same country's latest earlier reference year that has
-- a current submission: what both reported, side by side, one row per measure, item and
-- sex the earlier one had. Three measures: `context`, the national denominators in persons
-- (GDP and government expenditure are money: their year-on-year change is inflation as
-- much as error, so spending is compared as a share of GDP instead); `coverage`, the
-- SDG 1.3.1 figure per series and sex (int_ssi__coverage.coverage_pct, as
-- marts.coverage_sdg131 publishes it); `expenditure`, the spending in % of GDP for all
-- functions (int_ssi__expenditure, function ALL, as marts.sp_expenditure publishes it).
-- Published figures are compared, so a warning is about what analysts see.
-- ops.submission_checks applies the thresholds of the seed plausibility_thresholds.
with current_submissions as (
    select
        submission_id,
        country_iso3,
        year
    from {{ ref('int_ssi__submissions_current') }}
),

pairs as (
    select
        s.submission_id,
        s.country_iso3,
        s.year,
        e.submission_id as earlier_submission_id,
        e.year as earlier_year,
        s.year - e.year as years_elapsed
    from current_submissions as s
    inner join current_submissions as e
        on s.country_iso3 = e.country_iso3 and s.year > e.year
    qualify row_number() over (partition by s.submission_id order by e.year desc) = 1
),

measures as (
    select
        'context' as measure,
        submission_id,
        item,
        sex,
        persons::double as measured_value,
        null::varchar as quality_flag
    from {{ ref('int_ssi__context_by_sex') }}
    where item not in ('GDP', 'GOV_EXP')

    union all
    select
        'coverage' as measure,
        submission_id,
        series as item,
        sex,
        coverage_pct as measured_value,
        quality_flag
    from {{ ref('int_ssi__coverage') }}

    union all
    select
        'expenditure' as measure,
        submission_id,
        function as item,
        'SEX_T' as sex,
        pct_gdp as measured_value,
        quality_flag
    from {{ ref('int_ssi__expenditure') }}
    where function = 'ALL'
)

select
    p.submission_id,
    p.country_iso3,
    p.year,
    e.measure,
    e.item,
    e.sex,
    p.earlier_submission_id,
    p.earlier_year,
    p.years_elapsed,
    e.measured_value as earlier_value,
    n.measured_value as new_value,
    -- Whether the current submission has the figure at all (a row, even with a null value).
    n.submission_id is not null as reported_now,
    n.quality_flag,
    -- Context: percent of the earlier value; coverage: percentage points; expenditure:
    -- points of GDP. Null when either side is missing (or the earlier value is not positive).
    case
        when e.measure = 'context' and e.measured_value > 0
            then 100.0 * (n.measured_value - e.measured_value) / e.measured_value
        when e.measure in ('coverage', 'expenditure')
            then n.measured_value - e.measured_value
    end as moved_by
from pairs as p
inner join measures as e on p.earlier_submission_id = e.submission_id
left join measures as n
    on
        p.submission_id = n.submission_id
        and e.measure = n.measure
        and e.item = n.item
        and e.sex = n.sex
