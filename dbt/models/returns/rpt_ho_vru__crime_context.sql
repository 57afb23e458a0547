-- Home Office VRU return: the success measures' crime context: violence, robbery and weapon
-- possession recorded in the quarter, against the same quarter a year earlier, by district.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
crimes as (
    select * from {{ ref('int_police_crimes_located') }}
    where crime_type in ('Violence and sexual offences', 'Possession of weapons', 'Robbery')
      and district_code not in ('OUTSIDE', 'UNKNOWN')
),
districts as (select distinct district_code, district_name from {{ ref('int_districts_current') }}),
counted as (
    select periods.period, crimes.district_code, crimes.crime_type,
           count(*) filter (where crimes.crime_month between periods.period_start and periods.period_end) as in_period,
           count(*) filter (where crimes.crime_month between periods.period_start - interval 1 year
                                                         and periods.period_end - interval 1 year) as year_before
    from periods
    join crimes on crimes.crime_month between periods.period_start - interval 1 year and periods.period_end
    group by all
)
select
    counted.period,
    counted.district_code,
    districts.district_name,
    counted.crime_type,
    cast(counted.in_period as bigint) as crimes_in_period,
    cast(counted.year_before as bigint) as crimes_same_quarter_last_year,
    cast(counted.in_period - counted.year_before as bigint) as change
from counted
join districts using (district_code)
where counted.in_period > 0
