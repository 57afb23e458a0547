-- Every LSOA code (2011 or 2021) mapped to the tenant district it lies in, through the ONS
-- LSOA11 -> LSOA21 -> LAD22 lookup and the tenant's code crosswalk (so old Somerset districts
-- map to Somerset, and Barnsley's 2022 code to its 2025 one). Exact lookup first, best-fit after.
with exact as ({{ latest_file(ref('stg_ons__lsoa_lookup_exact')) }}),
best_fit as ({{ latest_file(ref('stg_ons__lsoa_lookup_best_fit')) }}),
codes as (
    select lsoa21_code as lsoa_code, lad22_code, 1 as preference from exact
    union all select lsoa11_code, lad22_code, 1 from exact
    union all select lsoa21_code, lad22_code, 2 from best_fit
    union all select lsoa11_code, lad22_code, 2 from best_fit
),
one_per_lsoa as (
    select lsoa_code, lad22_code from codes
    qualify row_number() over (partition by lsoa_code order by preference, lad22_code) = 1
)
select
    one_per_lsoa.lsoa_code,
    one_per_lsoa.lad22_code,
    districts.district_code
from one_per_lsoa
left join {{ ref('int_districts_current') }} as districts on districts.area_code = one_per_lsoa.lad22_code
