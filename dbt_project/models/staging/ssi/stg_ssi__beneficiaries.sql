select
    submission_id,
    sha256,
    source_row,
    scheme_id,
    function,
    benefit_form,
    -- Cash recipients count towards coverage: periodic cash, and lump sums for maternity only.
    benefit_form = 'CASH_PERIODIC'
    or (benefit_form = 'CASH_LUMP' and function = 'MATERN') as is_cash_recipient,
    total,
    women,
    men
from {{ source('ssi', 'ssi_beneficiaries') }}
