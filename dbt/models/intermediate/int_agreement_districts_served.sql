-- Which tenant districts each agreement serves (the register names them).
with agreements as (select agreement_ref, districts from {{ ref('int_agreements_current') }}),
districts as (select distinct district_code, district_name from {{ ref('int_districts_current') }})
select agreements.agreement_ref, districts.district_code, districts.district_name
from agreements, unnest(agreements.districts) as served(name)
join districts on districts.district_name = served.name
