select
    pack,
    frequency,
    {{ provenance() }}
from {{ source('raw', 'tenant_returns') }}
