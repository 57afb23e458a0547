select
    stream_id,
    stream_name,
    funder,
    case when coalesce(ring_fence, '') = '' then []::varchar[] else string_split(ring_fence, '|') end as ring_fence,
    cast(carry_forward as boolean) as carry_forward_allowed,
    cast(match_funding_pct as decimal(9, 4)) as match_funding_pct,
    reported_in,
    first_year,
    last_year,
    match_funding_for,
    {{ provenance() }}
from {{ source('raw', 'tenant_funding_streams') }}
