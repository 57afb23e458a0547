-- Where each published grant's beneficiaries are: the districts the register says it serves, with
-- their ONS code and its 360Giving geoCodeType (E06 and W06 unitary authorities UA, E07
-- non-metropolitan districts NMD, E08 metropolitan districts MD, E09 London boroughs LONB).
with grants as (select agreement_ref from {{ ref('rpt_360giving__grants') }}),
served as (select agreement_ref, district_code, district_name from {{ ref('int_agreement_districts_served') }})
select
    grants.agreement_ref,
    served.district_name as location_name,
    served.district_code as geo_code,
    case left(served.district_code, 3)
        when 'E06' then 'UA' when 'W06' then 'UA' when 'E07' then 'NMD' when 'E08' then 'MD' when 'E09' then 'LONB'
    end as geo_code_type,
    'GB' as country_code
from grants
join served using (agreement_ref)
