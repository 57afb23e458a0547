-- Home Office Homicide Index counts, every force's rows as published: victims by quarter, force area,
-- domestic or non-domestic homicide and victim age group.
select
    replace(financial_year, '/', '-') as financial_year,
    cast(financial_quarter as integer) as quarter_number,
    replace(financial_year, '/', '-') || '-Q' || financial_quarter as financial_quarter,
    {{ quarter_start("financial_year || '-Q' || financial_quarter") }} as quarter_start,
    police_force_area,
    {{ force_key('police_force_area') }} as force_key,
    domestic_homicide = 'Domestic' as is_domestic,
    victim_age_group,
    case when victim_age_group in ('Under 16', '16 to 24') then true
         when victim_age_group <> 'Unknown' then false end as is_under_25,
    cast(number_of_homicides as bigint) as homicides,
    {{ provenance() }}
from {{ source('raw', 'homicide_index_counts') }}
