-- MoJ victims' services return: allocation, spend in the half-year and year to date, what is
-- committed for the year and what is forecast to be spent in the rest of the year, per MoJ grant
-- line (a stream reported in this pack). Sums over the pack's contributions; the forecast for the
-- year and the underspend are formulas over these (the pack spec). forecast_remaining is what each
-- agreement still commits the office to pay in the year (int_agreement_forecasts) plus the run rate
-- of spend on the line outside agreements. A
-- grant line is shown in the years its stream exists (tenant.yml first_year..last_year): MoJ's
-- lines changed from 2025-26, when the two ring-fences merged. Outside those years it is shown
-- only when money is booked or committed to it, with a warning.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'half'),
streams as ({{ pack_streams('moj-victims') }}),
figures as ({{ section_figures('rpt_moj_victims__contributions', 'grant_lines', {'stream_id': 'row_key'},
    ['allocation', 'spend_in_period', 'spend_year_to_date', 'committed', 'forecast_remaining']) }})
select
    periods.period,
    streams.stream_id,
    streams.stream_name,
    cast(figures.allocation as decimal(18, 2)) as allocation,
    cast(coalesce(figures.spend_in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(figures.spend_year_to_date, 0) as decimal(18, 2)) as spend_year_to_date,
    cast(coalesce(figures.committed, 0) as decimal(18, 2)) as committed,
    cast(coalesce(figures.forecast_remaining, 0) as decimal(18, 2)) as forecast_remaining,
    periods.months_remaining_in_year,
    streams.carry_forward_allowed,
    -- 1 when an underspend goes back to the funder, else null: the forecast-underspend warning reads it.
    case when not streams.carry_forward_allowed then 1 end as returned_if_unspent,
    -- 1 when the year is outside the stream's years yet money is booked or committed to it (shown,
    -- never dropped, with a warning), else 0.
    case when periods.financial_year between coalesce(streams.first_year, '0000-00')
                                         and coalesce(streams.last_year, '9999-99') then 0 else 1 end
        as outside_stream_years
from periods
join streams
    on periods.financial_year between coalesce(streams.first_year, '0000-00') and coalesce(streams.last_year, '9999-99')
    or exists (select 1 from figures as f where f.period = periods.period and f.stream_id = streams.stream_id)
left join figures on figures.period = periods.period and figures.stream_id = streams.stream_id
