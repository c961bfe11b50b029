-- The supersede rule, written once: every loaded SSI submission with the latest loaded
-- revision of its country and reference year. A higher revision supersedes a lower one; a
-- file that did not load (rejected, quarantined, a duplicate) supersedes nothing. The marts
-- show the submissions that are not superseded (int_ssi__submissions_current);
-- ops.submissions says which are, and by what.
with loaded as (
    select
        submission_id,
        country_iso3,
        reference_year as year,
        revision,
        max(revision) over (partition by country_iso3, reference_year) as latest_revision
    from {{ ref('stg_ssi__files') }}
    where status = 'loaded'
)

select
    submission_id,
    country_iso3,
    year,
    revision,
    latest_revision,
    revision < latest_revision as is_superseded,
    case
        when revision < latest_revision
            then {{ ssi_submission_id('country_iso3', 'year', 'latest_revision') }}
    end as superseded_by
from loaded
