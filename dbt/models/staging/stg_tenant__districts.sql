select
    district_code,
    district_name,
    area_code,
    code_relation,
    {{ provenance() }}
from {{ source('raw', 'tenant_districts') }}
