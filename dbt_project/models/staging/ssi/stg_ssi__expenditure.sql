select
    submission_id,
    sha256,
    source_row,
    scheme_id,
    function,
    benefits_cash,
    benefits_kind,
    admin
from {{ source('ssi', 'ssi_expenditure') }}
