select
    {{ police_record_columns('crime_month') }},
    crime_type,
    nullif(last_outcome_category, '') as last_outcome_category,
    nullif(context, '') as context,
    {{ provenance() }}
from {{ source('raw', 'police_street') }}
