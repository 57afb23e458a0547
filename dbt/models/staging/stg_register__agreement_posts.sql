select
    agreement_ref,
    post_type,
    cast(fte as decimal(9, 2)) as fte,
    {{ provenance() }}
from {{ source('raw', 'agreement_posts') }}
