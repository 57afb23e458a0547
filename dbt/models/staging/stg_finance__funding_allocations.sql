select
    stream_id,
    financial_year,
    {{ to_money('allocation') }} as allocation,
    award_reference,
    cast(award_date as date) as award_date,
    source_note,
    {{ provenance() }}
from {{ source('raw', 'funding_allocations') }}
