select
    {{ police_record_columns('outcome_month') }},
    outcome_type,
    {{ provenance() }}
from {{ source('raw', 'police_outcomes') }}
