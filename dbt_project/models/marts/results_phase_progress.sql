-- Progress of each phase against its step targets. A focus country counts once per step
-- and phase, however many changes it had, and only for changes achieved inside the window.
with focus as (
    select
        phase,
        count(*) as focus_countries
    from {{ ref('focus_countries') }}
    group by all
),

achieved as (
    select
        phase,
        step,
        count(distinct country_iso3) filter (where achieved) as achieved_countries
    from {{ ref('results_country_steps') }}
    group by all
),

changes as (
    select
        c.phase,
        c.step,
        count(*) as changes,
        count(*) filter (where c.joint_with_partner) as joint_changes
    from {{ ref('results_institutional_changes') }} as c
    semi join {{ ref('focus_countries') }} as f
        on c.country_iso3 = f.country_iso3 and c.phase = f.phase
    group by all
)

select
    t.phase,
    t.step,
    t.step_name,
    focus.focus_countries,
    t.target_countries,
    coalesce(a.achieved_countries, 0) as achieved_countries,
    coalesce(c.changes, 0) as changes,
    round(100.0 * c.joint_changes / nullif(c.changes, 0), 1) as joint_with_partner_pct
from {{ ref('phase_step_targets') }} as t
inner join focus using (phase)
left join achieved as a using (phase, step)
left join changes as c using (phase, step)
