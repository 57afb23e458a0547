-- Home Office police recorded offences involving a knife or sharp instrument, every force's rows as
-- published; financial years written 2024/25 there become 2024-25 here.
select
    {{ home_office_quarter_and_force('force_name') }},
    offence_description,
    nullif(offence_group, '') as offence_group,
    nullif(offence_subgroup, '') as offence_subgroup,
    nullif(offence_code, '') as offence_code,
    cast(number_of_offences as bigint) as offences,
    {{ provenance() }}
from {{ source('raw', 'knife_sharp_instrument_offences') }}
