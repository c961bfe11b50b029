-- Every ISO 3166-1 country, with its ILO region and the Flagship Programme's focus flags.
select
    c.country_iso3,
    c.country_name,
    r.ilo_region,
    coalesce(p1.country_iso3 is not null, false) as phase1_focus,
    coalesce(p2.country_iso3 is not null, false) as phase2_focus
from {{ ref('stg_ref__countries') }} as c
left join {{ ref('country_regions') }} as r using (country_iso3)
left join {{ ref('focus_countries') }} as p1
    on c.country_iso3 = p1.country_iso3 and p1.phase = 1
left join {{ ref('focus_countries') }} as p2
    on c.country_iso3 = p2.country_iso3 and p2.phase = 2
