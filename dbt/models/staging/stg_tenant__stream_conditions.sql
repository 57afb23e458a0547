select
    stream_id,
    financial_year,
    cast(match_funding_pct as decimal(9, 4)) as match_funding_pct,
    cast(evaluation_min_pct as decimal(9, 4)) as evaluation_min_pct,
    source,
    {{ provenance() }}
from {{ source('raw', 'tenant_stream_conditions') }}
