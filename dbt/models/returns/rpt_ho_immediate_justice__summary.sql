-- Home Office Immediate Justice return: participants, hours of reparation, spend against allocation.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
spend as ({{ period_spend('quarter', "streams.stream_id = 'HO-IJ'", ['stream_id']) }}),
ij_services as ({{ agreements_funded_by("stream_id = 'HO-IJ'") }}),
delivery as (
    select quarter as period,
           sum(value_number) filter (where sheet = 'Activity' and column_label = 'Service users supported')
               as participants,
           sum(value_number) filter (where sheet = 'KPIs' and column_label = 'Actual'
                                           and row_label = 'Hours of reparation completed') as hours_of_reparation
    from {{ ref('int_provider_return_values_current') }}
    where agreement_ref in (select agreement_ref from ij_services)
    group by quarter
),
position as (select * from {{ ref('funding_position') }} where stream_id = 'HO-IJ')
select
    periods.period,
    'HO-IJ' as stream_id,
    position.allocation,
    coalesce(spend.spend_in_period, cast(0 as decimal(18, 2))) as spend_in_period,
    coalesce(spend.spend_year_to_date, cast(0 as decimal(18, 2))) as spend_year_to_date,
    cast(position.allocation - coalesce(spend.spend_year_to_date, 0) as decimal(18, 2)) as allocation_remaining,
    cast(coalesce(delivery.participants, 0) as bigint) as participants,
    cast(coalesce(delivery.hours_of_reparation, 0) as decimal(12, 1)) as hours_of_reparation
from periods
join position on position.financial_year = periods.financial_year
left join spend using (period)
left join delivery using (period)
