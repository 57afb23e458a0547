-- Home Office Immediate Justice return: the measures of the quarter by disposal route, from the
-- Immediate Justice sheet of the providers' returns (template PQR-2025.1). Every figure is the sum
-- of its contributions; a figure no return gives is null (not available), never 0. Rates (share
-- started within 48 hours, completion rate) are formulas in the pack spec.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
routes as ({{ ij_disposal_routes() }}),
figures as ({{ section_figures('rpt_ho_immediate_justice__contributions', 'measures',
    {'disposal_route': 'row_key'}, ij_measure_columns().values() | list) }})
select
    periods.period,
    routes.disposal_route,
    routes.route_order,
    {%- for field in ij_measure_columns().values() %}
    {%- if field == 'hours_of_reparation' %}
    cast(figures.{{ field }} as decimal(18, 2)) as {{ field }}{{ ',' if not loop.last }}
    {%- else %}
    cast(figures.{{ field }} as bigint) as {{ field }}{{ ',' if not loop.last }}
    {%- endif %}
    {%- endfor %}
from periods
cross join routes
left join figures on figures.period = periods.period and figures.disposal_route = routes.disposal_route
