-- One row per live intervention (the current version, tombstones left out): what it is and
-- what it achieved as of the reporting date: funding, achieved changes and their steps,
-- people impacted (each outcome's latest snapshot, summed over its outcomes) and outputs.
with funding as (
    select
        intervention_id,
        sum(amount_usd) as funding_usd
    from {{ ref('int_rmt__funding_current') }}
    group by all
),

changes as (
    select
        intervention_id,
        count(*) as changes_achieved,
        list_sort(list(distinct step)) as steps_achieved
    from {{ ref('results_institutional_changes') }}
    group by all
),

people as (
    select
        intervention_id,
        sum(persons)::bigint as persons_latest
    from {{ ref('results_people_impacted') }}
    group by all
),

outputs as (
    select
        intervention_id,
        count(*) as outputs
    from {{ ref('results_outputs') }}
    group by all
)

select
    i.intervention_id,
    i.title,
    i.country_iso3,
    i.level,
    i.flagship,
    i.thematic_areas,
    i.start_date,
    i.end_date,
    f.funding_usd,
    coalesce(c.changes_achieved, 0) as changes_achieved,
    coalesce(c.steps_achieved, []::integer[]) as steps_achieved,
    p.persons_latest,
    coalesce(o.outputs, 0) as outputs,
    i.updated_at
from {{ ref('int_rmt__interventions_current') }} as i
left join funding as f using (intervention_id)
left join changes as c using (intervention_id)
left join people as p using (intervention_id)
left join outputs as o using (intervention_id)
