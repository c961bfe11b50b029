-- Funding mobilized by partner and year, over the current version of live interventions.
select
    f.partner,
    f.year,
    sum(f.amount_usd) as amount_usd,
    count(distinct f.intervention_id) as interventions,
    count(distinct i.country_iso3) as countries
from {{ ref('int_rmt__funding_current') }} as f
inner join {{ ref('int_rmt__interventions_current') }} as i using (intervention_id)
group by all
