select
    agreement_ref,
    stream_id,
    cast(share as decimal(9, 6)) as share,
    {{ provenance() }}
from {{ source('raw', 'agreement_funding') }}
