-- Recorded crime per financial year, district and crime type: counts, rate per 1,000 residents
-- (Census 2021) and change on the year before. Crimes with no location or outside the tenant's
-- districts appear as UNKNOWN and OUTSIDE, with no rate.
with crimes as (select * from {{ ref('int_police_crimes_located') }}),
districts as (select distinct district_code, district_name from {{ ref('int_districts_current') }}),
population as (
    select district_code, population from {{ ref('int_census_district_groups') }}
    where characteristic = 'Population'
),
counts as (
    select financial_year, district_code, crime_type,
           count(*) as crimes, count(distinct crime_month) as months_covered
    from crimes group by all
)
select
    counts.financial_year,
    counts.district_code,
    coalesce(districts.district_name, case counts.district_code when 'OUTSIDE' then 'Outside the force area'
                                                             else 'No location' end) as district_name,
    counts.crime_type,
    cast(counts.crimes as bigint) as crimes,
    cast(counts.months_covered as integer) as months_covered,
    cast(population.population as bigint) as population,
    cast(case when population.population > 0 then counts.crimes * 1000 / population.population end as decimal(12, 2))
        as rate_per_1000,
    cast(previous.crimes as bigint) as crimes_previous_year,
    cast(counts.crimes - previous.crimes as bigint) as change_on_previous_year,
    cast(case when previous.crimes > 0 then (counts.crimes - previous.crimes) / previous.crimes end as decimal(9, 4))
        as change_on_previous_year_pct
from counts
left join counts as previous
    on previous.district_code = counts.district_code and previous.crime_type = counts.crime_type
    and previous.financial_year = {{ previous_financial_year('counts.financial_year') }}
left join districts on districts.district_code = counts.district_code
left join population on population.district_code = counts.district_code
