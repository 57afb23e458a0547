select
    agreement_ref,
    kpi,
    cast(target as decimal(18, 4)) as target,
    unit,
    {{ provenance() }}
from {{ source('raw', 'agreement_kpis') }}
