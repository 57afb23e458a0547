select
    nullif(crime_id, '') as crime_id,
    cast(month || '-01' as date) as outcome_month,
    reported_by,
    falls_within,
    cast(longitude as double) as longitude,
    cast(latitude as double) as latitude,
    location,
    nullif(lsoa_code, '') as lsoa_code,
    nullif(lsoa_name, '') as lsoa_name,
    outcome_type,
    {{ provenance() }}
from {{ source('raw', 'police_outcomes') }}
