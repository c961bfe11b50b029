-- Social protection expenditure per country, year and function (and ALL), national currency
-- and % of GDP, from the latest accepted revision (../shared/specs/sdg131-method.md), with
-- its quality flag (seed quality_flags): what marts.sp_expenditure publishes and
-- int_ssi__year_on_year compares.
with spending as (
    select
        s.country_iso3,
        s.year,
        s.submission_id,
        s.revision,
        s.currency,
        e.function,
        e.benefits_cash,
        e.benefits_kind,
        e.admin
    from {{ ref('stg_ssi__expenditure') }} as e
    inner join {{ ref('int_ssi__submissions_current') }} as s using (submission_id)
),

by_function as (
    select
        country_iso3,
        year,
        submission_id,
        revision,
        currency,
        case when grouping(function) = 1 then 'ALL' else function end as function,
        sum(benefits_cash) as benefits_cash_lcu,
        sum(benefits_kind) as benefits_kind_lcu,
        sum(admin) as admin_lcu,
        count(*) as scheme_rows,
        count(*) filter (
            where benefits_cash is null or benefits_kind is null or admin is null
        ) as rows_with_gaps,
        count(*) filter (
            where benefits_cash is null and benefits_kind is null and admin is null
        ) as empty_rows
    from spending
    group by grouping sets (
        (country_iso3, year, submission_id, revision, currency, function),
        (country_iso3, year, submission_id, revision, currency)
    )
),

gdp as (
    select
        submission_id,
        total as gdp_lcu
    from {{ ref('stg_ssi__context') }}
    where item = 'GDP'
)

select
    f.country_iso3,
    f.year,
    f.function,
    -- Sum of the components the country reported; null when it reported none of them.
    case
        when f.empty_rows < f.scheme_rows
            then
                coalesce(f.benefits_cash_lcu, 0) + coalesce(f.benefits_kind_lcu, 0)
                + coalesce(f.admin_lcu, 0)
    end as expenditure_lcu,
    case
        when f.empty_rows < f.scheme_rows and g.gdp_lcu > 0
            then 100.0 * (
                coalesce(f.benefits_cash_lcu, 0) + coalesce(f.benefits_kind_lcu, 0)
                + coalesce(f.admin_lcu, 0)
            ) / g.gdp_lcu
    end as pct_gdp,
    f.benefits_cash_lcu,
    f.benefits_kind_lcu,
    f.admin_lcu,
    f.currency,
    g.gdp_lcu,
    f.submission_id,
    f.revision,
    case
        when f.empty_rows = f.scheme_rows then 'expenditure_missing'
        when g.gdp_lcu is null then 'gdp_missing'
        when g.gdp_lcu <= 0 then 'gdp_not_positive'
        when f.rows_with_gaps > 0 then 'components_missing'
    end as quality_flag
from by_function as f
left join gdp as g using (submission_id)
