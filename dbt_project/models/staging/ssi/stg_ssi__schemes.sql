select
    submission_id,
    sha256,
    source_row,
    scheme_id,
    scheme_name,
    scheme_type,
    scheme_type = 'SI' as is_contributory,
    scheme_type in ('UNI', 'SA') as is_non_contributory,
    institution,
    legal_basis,
    start_year
from {{ source('ssi', 'ssi_schemes') }}
