-- Social protection branches, shared by SSI functions and project reports.
select
    branch,
    branch_name
from {{ ref('branches') }}
