-- What each agreement is forecast to cost after each reporting period, in the rest of the financial
-- year, and each funding stream's part of it: one row per agreement, stream and period of a year the
-- agreement runs in. The forecast is of the office's payments (the ledger), on the commitment basis
-- a finance officer signs: what the agreement commits the office to in the year (its annual value x
-- the months of its term in the year / 12) less what it has paid in the year so far.
--   value still to pay  - that difference, when it is above 0 and months of the year are left;
--   paid in full        - 0, when the agreement has already been paid its value for the year;
--   year ended          - 0, in the year's last period: the forecast for the year is its spend.
-- Why not each service's spend rate to date: payments follow the agreement's payment profile, not
-- delivery. Grants claimed quarterly in arrears show a quarter paid at the half-year, and contracts
-- invoiced behind delivery catch up by March, so the half-year rate understates the year (README,
-- "How each figure is counted", gives the demo office's measurements).
-- An agreement ending mid-year commits only the months of its term, so nothing is cut twice.
-- A provider's own full-year forecast (its return's Finance sheet) is not used: it forecasts the
-- provider's whole cost of the service (its budget by spend category), not what the office pays.
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
        periods.months_remaining_in_year,
        agreements.agreement_ref,
        agreements.annual_value,
        {{ months_in_year('agreements.start_date', 'least(agreements.end_date, periods.period_end)',
                          'periods.financial_year') }} as months_gone,
        {{ months_in_year('greatest(agreements.start_date, periods.period_end + interval 1 day)',
                          'agreements.end_date', 'periods.financial_year') }} as months_left,
        {{ months_in_year('agreements.start_date', 'agreements.end_date', 'periods.financial_year') }}
            as months_in_year
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
        {{ pounds_divided('terms.annual_value * terms.months_in_year', 12) }} as committed_in_year
    from terms
    join spent using (period, agreement_ref)
),
agreement_forecasts as (
    select
        *,
        case
            when months_remaining_in_year = 0 then 'year ended'
            when committed_in_year > spend_to_date then 'value still to pay'
            else 'paid in full'
        end as forecast_method,
        case when months_remaining_in_year > 0 and committed_in_year > spend_to_date
             then committed_in_year - spend_to_date else cast(0 as decimal(18, 2))
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
    committed_in_year,
    forecast_method,
    agreement_forecast_remaining,
    cast(cast(part_pence as decimal(20, 0)) * 0.01 as decimal(18, 2)) as forecast_remaining,
    register_file,
    register_sha256,
    register_locator
from stream_parts
