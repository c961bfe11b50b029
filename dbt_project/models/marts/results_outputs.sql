-- One row per output (an ILO contribution: a knowledge product, persons trained, a
-- ratification...) of a live intervention, dated on or before the reporting date or
-- undated, with the phase whose window holds its date. Outputs of regional and global
-- interventions have no country.
select
    o.intervention_id,
    o.position,
    i.country_iso3,
    i.level,
    o.output_type,
    o.output_date,
    year(o.output_date) as year,
    p.phase,
    o.output_count as count,
    o.title,
    i.thematic_areas,
    o.page_sha256
from {{ ref('int_rmt__outputs_current') }} as o
inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
left join {{ ref('programme_phases') }} as p
    on {{ in_phase_window('o.output_date') }}
where o.output_date is null or o.output_date <= {{ reporting_date() }}
