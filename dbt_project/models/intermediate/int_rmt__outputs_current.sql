-- outputs of the current version of each live intervention.
{{ rmt_current(ref('stg_rmt__outputs')) }}
