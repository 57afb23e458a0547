-- Home Office police recorded offences involving a knife or sharp instrument, every force's rows as
-- published; financial years written 2024/25 there become 2024-25 here.
select
    replace(financial_year, '/', '-') as financial_year,
    cast(financial_quarter as integer) as quarter_number,
    replace(financial_year, '/', '-') || '-Q' || financial_quarter as financial_quarter,
    {{ quarter_start("financial_year || '-Q' || financial_quarter") }} as quarter_start,
    force_name,
    {{ force_key('force_name') }} as force_key,
    offence_description,
    nullif(offence_group, '') as offence_group,
    nullif(offence_subgroup, '') as offence_subgroup,
    nullif(offence_code, '') as offence_code,
    cast(number_of_offences as bigint) as offences,
    {{ provenance() }}
from {{ source('raw', 'knife_sharp_instrument_offences') }}
