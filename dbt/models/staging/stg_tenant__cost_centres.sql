select
    cost_centre,
    stream_id,
    {{ provenance() }}
from {{ source('raw', 'tenant_cost_centres') }}
