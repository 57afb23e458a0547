select
    agreement_ref,
    provider_id,
    service_name,
    service_category,
    cohort,
    string_split(districts, '; ') as districts,
    agreement_type,
    commissioning_role,
    procurement_route,
    {{ to_date('start_date') }} as start_date,
    {{ to_date('end_date') }} as end_date,
    {{ to_money('annual_value') }} as annual_value,
    {{ to_money('total_value') }} as total_value,
    decision_record,
    {{ to_flag('eia_done') }} as eia_done,
    {{ to_flag('dpia_done') }} as dpia_done,
    modern_slavery_assessment,
    cast(social_value_score as decimal(5, 2)) as social_value_score,
    -- "Ages served" (checked on landing): All ages, Under N, N and over, N to M. Blank, or a register
    -- without the column, is not stated: the equality baseline then uses all ages and says so.
    ages_served,
    case
        when ages_served is null or ages_served = 'All ages' then 0
        when ages_served like 'Under %' then 0
        else cast(regexp_extract(ages_served, '^(\d+)', 1) as integer)
    end as age_from,
    case
        when ages_served like 'Under %' then cast(regexp_extract(ages_served, '^Under (\d+)$', 1) as integer) - 1
        when ages_served like '% to %' then cast(regexp_extract(ages_served, ' to (\d+)$', 1) as integer)
    end as age_to,
    -- "Award date": when the office decided to award it (optional; 360Giving publishes it).
    {{ to_date('award_date') }} as award_date,
    {{ provenance() }}
from {{ source('raw', 'agreements') }}
