-- Recorded crime per financial year, district and crime type: counts, rate per 1,000 residents
-- (Census 2021) and change on the year before. Crimes with no location or outside the tenant's
-- districts appear as UNKNOWN and OUTSIDE, with no rate.
-- A year's row exists for every crime type the district recorded in that year or the year before
-- (the comparison), with 0 where none was recorded this year: a type that fell to zero shows 0,
-- it does not vanish. Months covered are the months of the year for which police data has landed
-- (any crime type, any district), not the months in which this type occurred.
with crimes as (select * from {{ ref('int_police_crimes_located') }}),
districts as (select distinct district_code, district_name from {{ ref('int_districts_current') }}),
population as (
    select district_code, population from {{ ref('int_census_district_groups') }}
    where characteristic = 'Population'
),
months_landed as (
    select financial_year, cast(count(distinct crime_month) as integer) as months_covered
    from crimes group by all
),
counts as (
    select financial_year, district_code, crime_type, count(*) as crimes
    from crimes group by all
),
-- every district and type seen in a year, carried into the next year too when police data has landed for it
shown as (
    select financial_year, district_code, crime_type from counts
    union
    select months_landed.financial_year, counts.district_code, counts.crime_type
    from counts
    join months_landed on counts.financial_year = {{ previous_financial_year('months_landed.financial_year') }}
)
select
    shown.financial_year,
    shown.district_code,
    coalesce(districts.district_name, case shown.district_code when 'OUTSIDE' then 'Outside the force area'
                                                           else 'No location' end) as district_name,
    shown.crime_type,
    cast(coalesce(counts.crimes, 0) as bigint) as crimes,
    months_landed.months_covered,
    cast(population.population as bigint) as population,
    cast(case when population.population > 0 then coalesce(counts.crimes, 0) * 1000 / population.population end
         as decimal(12, 2)) as rate_per_1000,
    -- null (not available) when no police data landed for the year before; 0 when it did and none was recorded
    cast(case when previous_landed.financial_year is not null then coalesce(previous.crimes, 0) end as bigint)
        as crimes_previous_year,
    cast(coalesce(counts.crimes, 0) - case when previous_landed.financial_year is not null
                                           then coalesce(previous.crimes, 0) end as bigint) as change_on_previous_year,
    cast(case when previous.crimes > 0 then (coalesce(counts.crimes, 0) - previous.crimes) / previous.crimes end
         as decimal(9, 4)) as change_on_previous_year_pct
from shown
join months_landed using (financial_year)
left join counts using (financial_year, district_code, crime_type)
left join months_landed as previous_landed
    on previous_landed.financial_year = {{ previous_financial_year('shown.financial_year') }}
left join counts as previous
    on previous.district_code = shown.district_code and previous.crime_type = shown.crime_type
    and previous.financial_year = {{ previous_financial_year('shown.financial_year') }}
left join districts on districts.district_code = shown.district_code
left join population on population.district_code = shown.district_code
