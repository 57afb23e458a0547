select
    agreement_ref,
    plan_id,
    priority_id,
    cast(weight as decimal(9, 6)) as weight,
    {{ provenance() }}
from {{ source('raw', 'agreement_priorities') }}
