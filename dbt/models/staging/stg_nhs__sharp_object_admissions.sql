-- NHS England HES: finished admission episodes for assault by sharp object (ICD-10 X99), every
-- force's rows as published; one row per quarter, force area, community safety partnership and age group.
select
    financial_year,
    cast(right(quarter, 1) as integer) as quarter_number,
    financial_year || '-' || quarter as financial_quarter,
    {{ quarter_start("financial_year || '-' || quarter") }} as quarter_start,
    police_force_area,
    {{ force_key('police_force_area') }} as force_key,
    community_safety_partnership,
    cause_code,
    age_group,
    case when age_group in ('Under 18', '18-24') then true
         when age_group = '25 and over' then false end as is_under_25,
    cast(finished_admission_episodes as bigint) as admissions,
    {{ provenance() }}
from {{ source('raw', 'hes_sharp_object_admissions') }}
