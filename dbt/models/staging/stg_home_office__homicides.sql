-- Home Office Homicide Index counts, every force's rows as published: victims by quarter, force area,
-- domestic or non-domestic homicide and victim age group.
select
    {{ home_office_quarter_and_force('police_force_area') }},
    domestic_homicide = 'Domestic' as is_domestic,
    victim_age_group,
    case when victim_age_group in ('Under 16', '16 to 24') then true
         when victim_age_group <> 'Unknown' then false end as is_under_25,
    cast(number_of_homicides as bigint) as homicides,
    {{ provenance() }}
from {{ source('raw', 'homicide_index_counts') }}
