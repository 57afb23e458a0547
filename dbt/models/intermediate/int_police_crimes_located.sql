-- Street-level crimes placed in a tenant district and financial year. Where a month's file was
-- downloaded again, only the latest download counts. Crimes with no location are 'UNKNOWN';
-- those in an LSOA outside the tenant's districts are 'OUTSIDE'.
with crimes as (
    select *, regexp_extract(_source_file, '[^/]+$') as file_name from {{ ref('stg_police__street_crimes') }}
),
latest as (
    select * from crimes
    qualify _source_sha256 = first_value(_source_sha256) over (partition by file_name order by _loaded_at desc)
)
select
    latest.crime_id,
    latest.crime_month,
    {{ financial_year('latest.crime_month') }} as financial_year,
    latest.crime_type,
    latest.lsoa_code,
    case
        when latest.lsoa_code is null then 'UNKNOWN'
        when map.district_code is null then 'OUTSIDE'
        else map.district_code
    end as district_code,
    latest.falls_within,
    latest._source_file,
    latest._source_sha256,
    latest._source_locator
from latest
left join {{ ref('int_lsoa_districts') }} as map on map.lsoa_code = latest.lsoa_code
