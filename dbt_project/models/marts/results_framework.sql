-- The programme's results framework (Table 7 of the phase-2 programme document): one row
-- per indicator (seed results_indicators) and phase, counted as of the reporting date by
-- the rules of ../shared/specs/results-framework.md:
-- - impact: each outcome's latest snapshot inside the phase window (int_rmt__impact_in_phase),
--   per outcome type; women and men summed only over outcomes whose snapshot reports both;
-- - institutional results: countries with an achieved change of the step in the window,
--   focus countries and others alike;
-- - partnerships: the share of country results (changes of country-level interventions)
--   supported with at least one other development partner;
-- - outputs: knowledge products counted one per output, persons trained summed, and
--   ratifications as distinct countries (a regional or global output, which names no
--   country, adds the countries it counts). Regional and global outputs count here but
--   in no country.
with impact as (
    select
        phase,
        outcome_type,
        sum(persons) as value,
        sum(women) filter (where has_sex_split) as women,
        sum(men) filter (where has_sex_split) as men,
        coalesce(sum(persons) filter (where has_sex_split), 0) as persons_with_sex_split,
        count(distinct country_iso3) as countries
    from {{ ref('int_rmt__impact_in_phase') }}
    group by all
),

-- A phase target belongs to an impact category; an outcome type gets it only when it is
-- the category's one type (adequacy and comprehensiveness share theirs: none alone).
impact_targets as (
    select
        t.phase,
        o.outcome_type,
        t.target_persons
    from {{ ref('phase_impact_targets') }} as t
    inner join {{ ref('outcome_types') }} as o using (impact_category)
    qualify count(*) over (partition by t.phase, t.impact_category) = 1
),

steps as (
    select
        phase,
        step,
        count(distinct country_iso3) as value,
        count(distinct country_iso3) as countries
    from {{ ref('results_institutional_changes') }}
    where phase is not null and country_iso3 is not null
    group by all
),

joint as (
    select
        phase,
        round(100.0 * count(*) filter (where joint_with_partner) / count(*), 1) as value,
        count(distinct country_iso3) as countries
    from {{ ref('results_institutional_changes') }}
    where phase is not null and level = 'country'
    group by all
),

outputs as (
    select
        phase,
        output_type,
        case output_type
            when 'knowledge_product' then count(*)
            when 'persons_trained' then coalesce(sum(count), 0)
            when 'ratification'
                then
                    count(distinct country_iso3)
                    + coalesce(sum(coalesce(count, 1)) filter (where country_iso3 is null), 0)
        end as value,
        count(distinct country_iso3) as countries
    from {{ ref('results_outputs') }}
    where phase is not null
    group by phase, output_type
)

select
    r.indicator,
    p.phase,
    (case
        when r.outcome_type is not null then coalesce(i.value, 0)
        when r.step is not null then coalesce(s.value, 0)
        when r.output_type is not null then coalesce(o.value, 0)
        when r.indicator = 'joint_results_pct' then j.value
    end)::double as value,
    r.unit,
    (case
        when r.outcome_type is not null then it.target_persons
        when r.step is not null then st.target_countries
    end)::bigint as target,
    (case when r.outcome_type is not null then i.women end)::bigint as women,
    (case when r.outcome_type is not null then i.men end)::bigint as men,
    (case
        when r.outcome_type is not null then coalesce(i.persons_with_sex_split, 0)
    end)::bigint as persons_with_sex_split,
    coalesce(
        case
            when r.outcome_type is not null then i.countries
            when r.step is not null then s.countries
            when r.output_type is not null then o.countries
            when r.indicator = 'joint_results_pct' then j.countries
        end,
        0
    ) as countries,
    r.definition
from {{ ref('results_indicators') }} as r
cross join {{ ref('programme_phases') }} as p
left join impact as i on p.phase = i.phase and r.outcome_type = i.outcome_type
left join impact_targets as it on p.phase = it.phase and r.outcome_type = it.outcome_type
left join steps as s on p.phase = s.phase and r.step = s.step
left join {{ ref('phase_step_targets') }} as st on p.phase = st.phase and r.step = st.step
left join outputs as o on p.phase = o.phase and r.output_type = o.output_type
left join joint as j on p.phase = j.phase
