-- The Violence Reduction Unit's success measures for the tenant's force, per financial quarter and
-- measure: the count in the quarter, the under-25 count where the publication gives an age, and the
-- same for the same quarter a year earlier. A count is null (not available) when no landed
-- publication gives the force's figures for that quarter, never 0.
with counts as (select * from {{ ref('int_success_measure_counts') }}),
quarters as (select distinct financial_quarter, quarter_start from counts),
by_quarter as (
    select
        measure_id,
        quarter_start,
        sum(value) as value,
        sum(value) filter (where is_under_25) as value_under_25
    from counts
    group by all
),
grid as (
    select quarters.financial_quarter, quarters.quarter_start, catalogue.*
    from quarters
    cross join {{ ref('int_success_measures_catalogue') }} as catalogue
)
select
    grid.financial_quarter,
    grid.quarter_start,
    grid.measure_id,
    grid.measure_order,
    grid.measure_name,
    cast(this_year.value as bigint) as value,
    cast(case when grid.under_25_published and this_year.value is not null
              then coalesce(this_year.value_under_25, 0) end as bigint) as value_under_25,
    cast(last_year.value as bigint) as value_same_quarter_last_year,
    cast(case when grid.under_25_published and last_year.value is not null
              then coalesce(last_year.value_under_25, 0) end as bigint) as value_under_25_same_quarter_last_year
from grid
left join by_quarter as this_year
    on this_year.measure_id = grid.measure_id and this_year.quarter_start = grid.quarter_start
left join by_quarter as last_year
    on last_year.measure_id = grid.measure_id
   and last_year.quarter_start = (grid.quarter_start - interval 1 year)::date
