-- Achieved institutional changes: the results of the Flagship Programme's step-by-step
-- approach. Only changes with status 'achieved' and a date on or before the reporting date
-- count; the phase is the one whose window holds that date.
select
    c.change_id,
    c.intervention_id,
    i.country_iso3,
    c.step,
    c.achieved_on,
    year(c.achieved_on) as year,
    p.phase,
    len(c.partners) > 0 as joint_with_partner,
    c.partners,
    c.branches,
    c.title,
    i.level,
    i.flagship,
    c.page_sha256
from {{ ref('int_rmt__institutional_changes_current') }} as c
inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
left join {{ ref('programme_phases') }} as p
    on {{ in_phase_window('c.achieved_on') }}
where
    c.status = 'achieved'
    and c.achieved_on is not null
    and c.achieved_on <= {{ reporting_date() }}
