-- People impacted per phase, impact category and branch ("by risk" in Table 7): each
-- outcome counts with its latest snapshot inside the phase window (int_rmt__impact_in_phase).
-- Women and men are summed only over outcomes whose counted snapshot reports both, and
-- persons_with_sex_split says how many people that split covers: never extrapolated.
select
    phase,
    impact_category,
    branch,
    sum(persons)::bigint as persons,
    (sum(women) filter (where has_sex_split))::bigint as women,
    (sum(men) filter (where has_sex_split))::bigint as men,
    coalesce(sum(persons) filter (where has_sex_split), 0)::bigint as persons_with_sex_split,
    count(*) as outcomes,
    count(distinct country_iso3) as countries
from {{ ref('int_rmt__impact_in_phase') }}
group by all
