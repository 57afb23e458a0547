-- Home Office VRU return: the success measures' crime context: violence, robbery and weapon
-- possession recorded in the quarter, against the same quarter a year earlier, by district.
-- Each quarter's count is null (not available) unless police data covers each of its three months
-- (the data lags, and a part-quarter would look like a fall); the change is a formula over the two.
-- A district and crime type with crimes in the quarter or in the same quarter a year earlier has a
-- row, with 0 in a covered quarter that recorded none: a place that fell to zero shows its fall.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
months_with_data as (select distinct crime_month from {{ ref('int_police_crimes_located') }}),
covered as (
    select periods.period,
           count(*) filter (where crime_month between periods.period_start and periods.period_end) = 3
               as this_quarter,
           count(*) filter (where crime_month between periods.period_start - interval 1 year
                                                  and periods.period_end - interval 1 year) = 3 as year_before
    from periods
    join months_with_data
        on months_with_data.crime_month between periods.period_start - interval 1 year and periods.period_end
    group by periods.period
),
figures as ({{ section_figures('rpt_ho_vru__contributions', 'crime_context',
    {'district_code': 'district_code', 'crime_type': 'crime_type'},
    ['crimes_in_period', 'crimes_same_quarter_last_year']) }}),
districts as (select distinct district_code, district_name from {{ ref('int_districts_current') }})
select
    figures.period,
    figures.district_code,
    districts.district_name,
    figures.crime_type,
    cast(case when covered.this_quarter then coalesce(figures.crimes_in_period, 0) end as bigint) as crimes_in_period,
    cast(case when covered.year_before then coalesce(figures.crimes_same_quarter_last_year, 0) end as bigint)
        as crimes_same_quarter_last_year
from figures
join districts using (district_code)
left join covered using (period)
where figures.crimes_in_period > 0 or figures.crimes_same_quarter_last_year > 0
