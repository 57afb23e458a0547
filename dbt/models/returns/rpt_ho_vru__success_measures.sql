-- Home Office VRU return: the success measures for the tenant's force in the quarter and the same
-- quarter a year earlier (hospital admissions for assault with a sharp object, knife-enabled serious
-- violence, homicides, non-domestic homicides), each figure the sum of its contributions. A figure
-- with no landed publication behind it is null (not available), never 0; an under-25 figure is shown
-- only where the publication gives an age. The change on last year is a formula in the pack spec.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
figures as ({{ section_figures('rpt_ho_vru__contributions', 'success_measures', {'measure_id': 'row_key'},
    ['value_in_period', 'value_same_quarter_last_year', 'value_under_25_in_period',
     'value_under_25_same_quarter_last_year']) }})
select
    periods.period,
    catalogue.measure_id,
    catalogue.measure_order,
    catalogue.measure_name as measure,
    cast(figures.value_in_period as bigint) as value_in_period,
    cast(figures.value_same_quarter_last_year as bigint) as value_same_quarter_last_year,
    cast(case when catalogue.under_25_published and figures.value_in_period is not null
              then coalesce(figures.value_under_25_in_period, 0) end as bigint) as value_under_25_in_period,
    cast(case when catalogue.under_25_published and figures.value_same_quarter_last_year is not null
              then coalesce(figures.value_under_25_same_quarter_last_year, 0) end as bigint)
        as value_under_25_same_quarter_last_year
from periods
cross join {{ ref('int_success_measures_catalogue') }} as catalogue
left join figures on figures.period = periods.period and figures.measure_id = catalogue.measure_id
