select
    table_code,
    geography_code,
    geography_name,
    measure,
    cast(value as bigint) as observation_count,
    {{ provenance() }}
from {{ source('raw', 'census_observations') }}
