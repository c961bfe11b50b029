-- Every input of every SDG 1.3.1 series: one row per series, part, sex and spreadsheet row
-- that feeds it, as the seed sdg131_terms says (../shared/specs/sdg131-method.md). `part`
-- says where a term goes: the numerator, the denominator, or what the denominator subtracts
-- (`denominator_less`). A null `persons` is a value the country did not report:
-- int_ssi__series_computed turns it into a missing figure, never a zero.
--
-- The seed is read generically, so a rule changes there, not here: a spreadsheet row feeds
-- a term when it is on the term's sheet and passes each of its filters. functions: the
-- row's function is one of them; `*`, any function but except_functions; blank, rows with
-- no function (the contributors sheet's active contributors). benefit_forms, scheme_types
-- (the row's scheme), item (context sheet): blank for any. A blank cell is null in the
-- seed table, an empty string where a unit test reads the file: both read as blank.
with terms as (
    select
        series,
        part,
        sheet,
        coalesce(trim(functions) = '*', false) as any_function,
        string_split(nullif(nullif(trim(functions), ''), '*'), ' ') as function_codes,
        string_split(nullif(trim(except_functions), ''), ' ') as except_function_codes,
        string_split(nullif(trim(benefit_forms), ''), ' ') as benefit_form_codes,
        string_split(nullif(trim(scheme_types), ''), ' ') as scheme_type_codes,
        nullif(trim(item), '') as item
    from {{ ref('sdg131_terms') }}
),

sheet_rows as (
    select
        submission_id,
        'beneficiaries' as sheet,
        source_row,
        function,
        benefit_form,
        scheme_type,
        null::varchar as item,
        sex,
        persons
    from {{ ref('int_ssi__beneficiaries_by_sex') }}

    union all
    select
        submission_id,
        'contributors' as sheet,
        source_row,
        function,
        null::varchar as benefit_form,
        scheme_type,
        null::varchar as item,
        sex,
        persons
    from {{ ref('int_ssi__contributors_by_sex') }}

    union all
    select
        submission_id,
        'context' as sheet,
        source_row,
        null::varchar as function,
        null::varchar as benefit_form,
        null::varchar as scheme_type,
        item,
        sex,
        persons
    from {{ ref('int_ssi__context_by_sex') }}
),

matched as (
    select
        r.submission_id,
        t.series,
        r.sex,
        t.part,
        r.persons,
        r.sheet,
        r.source_row
    from sheet_rows as r
    inner join terms as t
        on
            r.sheet = t.sheet
            and case
                when t.any_function
                    then not coalesce(list_contains(t.except_function_codes, r.function), false)
                when t.function_codes is null then r.function is null
                else coalesce(list_contains(t.function_codes, r.function), false)
            end
            and (
                t.benefit_form_codes is null
                or coalesce(list_contains(t.benefit_form_codes, r.benefit_form), false)
            )
            and (
                t.scheme_type_codes is null
                or coalesce(list_contains(t.scheme_type_codes, r.scheme_type), false)
            )
            and (t.item is null or r.item = t.item)
)

-- A series that needs a sheet (the total and the vulnerable need the contributors sheet)
-- is not computed for a submission without it.
select m.*
from matched as m
inner join {{ ref('int_ssi__submissions_current') }} as s using (submission_id)
inner join {{ ref('sdg131_series') }} as d using (series)
where
    coalesce(nullif(trim(d.requires_sheet), ''), '') = ''
    or list_contains(s.sheets, trim(d.requires_sheet))
