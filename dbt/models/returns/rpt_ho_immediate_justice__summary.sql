-- Home Office Immediate Justice return: participants, hours of reparation, allocation and spend,
-- per stream reported in this pack. The allocation remaining is a formula over these (the pack spec).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
streams as ({{ pack_streams('ho-immediate-justice') }}),
figures as ({{ section_figures('rpt_ho_immediate_justice__contributions', 'summary', {'stream_id': 'row_key'},
    ['allocation', 'spend_in_period', 'spend_year_to_date', 'participants', 'hours_of_reparation']) }})
select
    periods.period,
    streams.stream_id,
    cast(figures.allocation as decimal(18, 2)) as allocation,
    cast(coalesce(figures.spend_in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(figures.spend_year_to_date, 0) as decimal(18, 2)) as spend_year_to_date,
    -- Null (not available) when no return of the services the stream funds gives the figure.
    cast(figures.participants as bigint) as participants,
    cast(figures.hours_of_reparation as decimal(18, 2)) as hours_of_reparation
from periods
cross join streams
left join figures on figures.period = periods.period and figures.stream_id = streams.stream_id
