select
    submission_id,
    sha256,
    source_row,
    scheme_id,
    function,
    benefit_form,
    total,
    women,
    men
from {{ source('ssi', 'ssi_beneficiaries') }}
