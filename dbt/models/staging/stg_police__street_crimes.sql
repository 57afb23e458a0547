select
    nullif(crime_id, '') as crime_id,
    cast(month || '-01' as date) as crime_month,
    reported_by,
    falls_within,
    cast(longitude as double) as longitude,
    cast(latitude as double) as latitude,
    location,
    nullif(lsoa_code, '') as lsoa_code,
    nullif(lsoa_name, '') as lsoa_name,
    crime_type,
    nullif(last_outcome_category, '') as last_outcome_category,
    nullif(context, '') as context,
    {{ provenance() }}
from {{ source('raw', 'police_street') }}
