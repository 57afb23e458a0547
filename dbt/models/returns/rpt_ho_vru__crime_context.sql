-- Home Office VRU return: the success measures' crime context: violence, robbery and weapon
-- possession recorded in the quarter, against the same quarter a year earlier, by district.
-- The year before is null (not available) unless police data covers each of its three months;
-- the change is a formula over the two (the pack spec).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
months_with_data as (select distinct crime_month from {{ ref('int_police_crimes_located') }}),
year_before_covered as (
    select periods.period
    from periods
    join months_with_data
        on months_with_data.crime_month between periods.period_start - interval 1 year
                                            and periods.period_end - interval 1 year
    group by periods.period
    having count(*) = 3
),
figures as (
    select period, district_code, crime_type,
           sum(amount) filter (where field = 'crimes_in_period') as crimes_in_period,
           sum(amount) filter (where field = 'crimes_same_quarter_last_year') as crimes_same_quarter_last_year
    from {{ ref('rpt_ho_vru__contributions') }}
    where section = 'crime_context'
    group by all
),
districts as (select distinct district_code, district_name from {{ ref('int_districts_current') }})
select
    figures.period,
    figures.district_code,
    districts.district_name,
    figures.crime_type,
    cast(figures.crimes_in_period as bigint) as crimes_in_period,
    cast(case when year_before_covered.period is not null
              then coalesce(figures.crimes_same_quarter_last_year, 0) end as bigint) as crimes_same_quarter_last_year
from figures
join districts using (district_code)
left join year_before_covered using (period)
where figures.crimes_in_period > 0
