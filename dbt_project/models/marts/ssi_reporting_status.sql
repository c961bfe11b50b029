-- Who has reported: every ISO 3166-1 country and every reference year from the earliest
-- accepted SSI submission to the latest, with what became of its deliveries. accepted when
-- a revision is loaded (the latest one is shown); otherwise the fate of the latest delivery
-- that did not load (rejected, or quarantined awaiting a statistician); otherwise
-- not_received. Duplicates (the same bytes again) are no delivery of their own.
with accepted as (
    select
        country_iso3,
        year,
        submission_id,
        revision,
        submission_date
    from {{ ref('int_ssi__submissions_current') }}
),

years as (
    select unnest(generate_series(min(year), max(year)))::integer as year
    from accepted
),

turned_away as (
    select
        country_iso3,
        reference_year as year,
        count(*) filter (where status = 'rejected') as rejected_deliveries,
        count(*) filter (where status = 'quarantined') as quarantined_deliveries,
        -- The latest delivery decides; on a tie, a quarantined one (it may still load).
        arg_max(
            status, struct_pack(processed_at, quarantined := status = 'quarantined')
        ) as latest_status,
        arg_max(
            reason_code, struct_pack(processed_at, quarantined := status = 'quarantined')
        ) as latest_reason_code
    from {{ ref('stg_ssi__files') }}
    where
        status in ('rejected', 'quarantined')
        and country_iso3 is not null
        and reference_year is not null
    group by all
)

select
    c.country_iso3,
    c.country_name,
    c.ilo_region,
    c.phase1_focus,
    c.phase2_focus,
    y.year,
    case
        when a.submission_id is not null then 'accepted'
        when t.latest_status is not null then t.latest_status
        else 'not_received'
    end as status,
    a.revision as accepted_revision,
    a.submission_id as accepted_submission_id,
    a.submission_date,
    coalesce(t.rejected_deliveries, 0) as rejected_deliveries,
    coalesce(t.quarantined_deliveries, 0) as quarantined_deliveries,
    t.latest_reason_code as latest_problem
from {{ ref('dim_country') }} as c
cross join years as y
left join accepted as a on c.country_iso3 = a.country_iso3 and y.year = a.year
left join turned_away as t on c.country_iso3 = t.country_iso3 and y.year = t.year
