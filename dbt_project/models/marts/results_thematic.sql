-- One row per thematic area (Table 4, seed thematic_areas) and phase: the interventions
-- working in the area and what they achieved inside the phase window, as of the reporting
-- date. An intervention with several areas counts in each; outputs and impact of regional
-- and global interventions count in their areas too. Changes, people and outputs follow
-- the phase rules of results_institutional_changes, int_rmt__impact_in_phase and
-- results_outputs.
with areas as (
    select distinct
        intervention_id,
        country_iso3,
        start_date,
        end_date,
        unnest(thematic_areas) as thematic_area
    from {{ ref('int_rmt__interventions_current') }}
),

changes as (
    select
        intervention_id,
        phase,
        step
    from {{ ref('results_institutional_changes') }}
    where phase is not null
),

people as (
    select
        intervention_id,
        phase,
        persons
    from {{ ref('int_rmt__impact_in_phase') }}
),

outputs as (
    select
        intervention_id,
        phase
    from {{ ref('results_outputs') }}
    where phase is not null
),

counted as (
    select
        intervention_id,
        phase
    from changes
    union
    select
        intervention_id,
        phase
    from people
    union
    select
        intervention_id,
        phase
    from outputs
),

-- An intervention works in a phase when its dates overlap the window (up to the reporting
-- date; no end date: still running) or when it has a result counted in the phase.
working as (
    select
        a.thematic_area,
        p.phase,
        a.intervention_id,
        a.country_iso3
    from areas as a
    inner join {{ ref('programme_phases') }} as p
        on
            a.start_date <= least(p.end_date, {{ reporting_date() }})
            and coalesce(a.end_date, p.end_date) >= p.start_date
    union
    select
        a.thematic_area,
        r.phase,
        a.intervention_id,
        a.country_iso3
    from areas as a
    inner join counted as r using (intervention_id)
),

interventions as (
    select
        thematic_area,
        phase,
        count(distinct intervention_id) as interventions,
        count(distinct country_iso3) as countries
    from working
    group by all
),

steps as (
    select
        a.thematic_area,
        c.phase,
        count(*) filter (where c.step = 1) as changes_step_1,
        count(*) filter (where c.step = 2) as changes_step_2,
        count(*) filter (where c.step = 3) as changes_step_3
    from areas as a
    inner join changes as c using (intervention_id)
    group by all
),

impact as (
    select
        a.thematic_area,
        pe.phase,
        sum(pe.persons)::bigint as persons
    from areas as a
    inner join people as pe using (intervention_id)
    group by all
),

produced as (
    select
        a.thematic_area,
        o.phase,
        count(*) as outputs
    from areas as a
    inner join outputs as o using (intervention_id)
    group by all
)

select
    t.thematic_area,
    p.phase,
    t.thematic_area_name,
    t.thematic_group,
    coalesce(i.interventions, 0) as interventions,
    coalesce(i.countries, 0) as countries,
    coalesce(s.changes_step_1, 0) as changes_step_1,
    coalesce(s.changes_step_2, 0) as changes_step_2,
    coalesce(s.changes_step_3, 0) as changes_step_3,
    coalesce(im.persons, 0) as persons,
    coalesce(o.outputs, 0) as outputs
from {{ ref('thematic_areas') }} as t
cross join {{ ref('programme_phases') }} as p
left join interventions as i using (thematic_area, phase)
left join steps as s using (thematic_area, phase)
left join impact as im using (thematic_area, phase)
left join produced as o using (thematic_area, phase)
