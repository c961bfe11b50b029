select
    submission_id,
    sha256,
    source_row,
    scheme_id,
    function,
    total,
    women,
    men
from {{ source('ssi', 'ssi_contributors') }}
