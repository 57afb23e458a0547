select
    plan_id,
    priority_id,
    priority_name,
    cast(priority_order as integer) as priority_order,
    {{ provenance() }}
from {{ source('raw', 'tenant_priorities') }}
