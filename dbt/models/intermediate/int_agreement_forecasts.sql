-- What each agreement is forecast to spend after each reporting period, to the end of its term
-- or of the financial year (whichever comes first), and each funding stream's part of it: one row
-- per agreement, stream and period of a year the agreement runs in. The forecast is of the office's
-- payments (the ledger), from the agreement's own spend rate in the year so far:
--   spend rate    - spend to date / months of its term gone in the year x months of its term left
--                   in the year, when something has been spent and a month of its term has gone;
--   contract rate - annual value / 12 x months of its term left in the year, when nothing (or only
--                   a net credit) has been spent yet or no month of its term has gone;
--   no months left - 0, when no month of its term is left in the year.
-- A provider's own full-year forecast (its return's Finance sheet) is not used: it forecasts the
-- provider's whole cost of the service (its budget by spend category), not what the office pays
-- and when, so it cannot be set against ledger spend to date.
-- The agreement's forecast is split across its funding streams by share to the penny, as its
-- ledger lines are (split_pence), so the streams' parts add up exactly to it.
with periods as (select * from {{ ref('int_reporting_periods') }}),
agreements as (select * from {{ ref('int_agreements_current') }}),
funding as (select * from {{ ref('int_agreement_funding_current') }}),
lines as (select * from {{ ref('int_ledger_lines_matched') }} where is_matched),

terms as (
    select
        periods.period,
        periods.period_type,
        periods.financial_year,
        periods.period_end,
        agreements.agreement_ref,
        agreements.annual_value,
        {{ months_in_year('agreements.start_date', 'least(agreements.end_date, periods.period_end)',
                          'periods.financial_year') }} as months_gone,
        {{ months_in_year('greatest(agreements.start_date, periods.period_end + interval 1 day)',
                          'agreements.end_date', 'periods.financial_year') }} as months_left
    from periods
    join agreements
        on {{ months_in_year('agreements.start_date', 'agreements.end_date', 'periods.financial_year') }} > 0
    where agreements.agreement_ref in (select agreement_ref from funding)
),
spent as (
    select terms.period, terms.agreement_ref, coalesce(sum(lines.amount), 0) as spend_to_date
    from terms
    left join lines
        on lines.agreement_ref = terms.agreement_ref
       and lines.posting_date between {{ fy_start('terms.financial_year') }} and terms.period_end
    group by all
),
forecasts as (
    select
        terms.*,
        cast(spent.spend_to_date as decimal(18, 2)) as spend_to_date,
        case
            when terms.months_left = 0 then 'no months left'
            when spent.spend_to_date > 0 and terms.months_gone > 0 then 'spend rate'
            else 'contract rate'
        end as forecast_method
    from terms
    join spent using (period, agreement_ref)
),
agreement_forecasts as (
    select
        *,
        case forecast_method
            when 'spend rate'
                then {{ pounds_divided('spend_to_date * months_left', '(greatest(months_gone, 1))') }}
            when 'contract rate' then {{ pounds_divided('annual_value * months_left', 12) }}
            else cast(0 as decimal(18, 2))
        end as agreement_forecast_remaining
    from forecasts
),
stream_shares as (
    select
        agreement_forecasts.*,
        funding.stream_id,
        cast(funding.share as decimal(18, 6)) as share,
        cast(round(agreement_forecasts.agreement_forecast_remaining * 100) as bigint) as pence,
        funding.register_file,
        funding.register_sha256,
        funding.register_locator
    from agreement_forecasts
    join funding using (agreement_ref)
),
stream_parts as (
    {{ split_pence('stream_shares', ['period', 'agreement_ref'], 'share', 'stream_id') }}
)

select
    period,
    period_type,
    financial_year,
    agreement_ref,
    stream_id,
    share,
    annual_value,
    spend_to_date,
    cast(months_gone as integer) as months_gone,
    cast(months_left as integer) as months_left,
    forecast_method,
    agreement_forecast_remaining,
    cast(cast(part_pence as decimal(20, 0)) * 0.01 as decimal(18, 2)) as forecast_remaining,
    register_file,
    register_sha256,
    register_locator
from stream_parts
