-- Street-level crimes placed in a tenant district and financial year. Where a month's file was
-- downloaded again, only the latest download counts. Crimes with no location are 'UNKNOWN';
-- those in an LSOA outside the tenant's districts are 'OUTSIDE'.
-- A view: at national scale (tens of millions of rows) a table here would copy every row
-- again on each build; the marts that read it aggregate as they go.
{{ config(materialized='view') }}
with crimes as (select * from {{ ref('stg_police__street_crimes') }}),
-- The latest download of each file name, decided per file (a few thousand) rather than per row.
downloads as (
    select _source_file, _source_sha256, max(_loaded_at) as loaded_at from crimes group by all
),
latest_downloads as (
    select _source_sha256 from downloads
    qualify row_number() over (partition by regexp_extract(_source_file, '[^/]+$')
                               order by loaded_at desc, _source_sha256) = 1
)
select
    crimes.crime_id,
    crimes.crime_month,
    {{ financial_year('crimes.crime_month') }} as financial_year,
    crimes.crime_type,
    crimes.lsoa_code,
    case
        when crimes.lsoa_code is null then 'UNKNOWN'
        when map.district_code is null then 'OUTSIDE'
        else map.district_code
    end as district_code,
    crimes.falls_within,
    crimes._source_file,
    crimes._source_sha256,
    crimes._source_locator
from crimes
semi join latest_downloads using (_source_sha256)
left join {{ ref('int_lsoa_districts') }} as map on map.lsoa_code = crimes.lsoa_code
