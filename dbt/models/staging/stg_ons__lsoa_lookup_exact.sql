select
    lsoa11_code,
    lsoa11_name,
    lsoa21_code,
    lsoa21_name,
    change_indicator,
    lad22_code,
    lad22_name,
    {{ provenance() }}
from {{ source('raw', 'lsoa_lookup_exact') }}
