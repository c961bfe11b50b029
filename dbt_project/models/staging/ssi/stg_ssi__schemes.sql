select
    submission_id,
    sha256,
    source_row,
    scheme_id,
    scheme_name,
    scheme_type,
    institution,
    legal_basis,
    start_year
from {{ source('ssi', 'ssi_schemes') }}
