-- MoJ victims' services return: allocation, spend in the half-year and year to date, forecast and
-- forecast underspend per MoJ grant line (stream).
with spend as ({{ period_spend('half', "streams.funder = 'MoJ'", ['stream_id']) }}),
periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'half'),
streams as (select * from {{ ref('int_funding_streams_current') }} where funder = 'MoJ'),
position as (select * from {{ ref('funding_position') }})
select
    periods.period,
    streams.stream_id,
    streams.stream_name,
    position.allocation,
    coalesce(spend.spend_in_period, cast(0 as decimal(18, 2))) as spend_in_period,
    coalesce(spend.spend_year_to_date, cast(0 as decimal(18, 2))) as spend_year_to_date,
    cast(coalesce(spend.spend_year_to_date, 0)
         + round(coalesce(position.committed, 0) * periods.months_remaining_in_year / 12, 2) as decimal(18, 2))
        as forecast_full_year,
    cast(greatest(coalesce(position.allocation, 0) - (coalesce(spend.spend_year_to_date, 0)
         + round(coalesce(position.committed, 0) * periods.months_remaining_in_year / 12, 2)), 0) as decimal(18, 2))
        as forecast_underspend,
    streams.carry_forward_allowed
from periods
cross join streams
left join spend on spend.period = periods.period and spend.stream_id = streams.stream_id
left join position on position.financial_year = periods.financial_year and position.stream_id = streams.stream_id
