select
    submission_id,
    sha256,
    source_row,
    item,
    total,
    women,
    men
from {{ source('ssi', 'ssi_context') }}
