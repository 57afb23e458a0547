select
    tenant,
    tenant_name,
    force_name,
    force_slug,
    string_split(force_reported_by, '|') as force_reported_by,
    {{ provenance() }}
from {{ source('raw', 'tenant') }}
