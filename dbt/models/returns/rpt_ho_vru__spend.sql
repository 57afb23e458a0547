-- Home Office VRU return: spend from the VRU grant by category (core function, interventions,
-- evaluation) in the quarter and year to date. Spend through agreements is intervention spend;
-- other spend takes the category of its ledger account (int_ledger_parts_by_period).
with parts as (
    select * from {{ ref('int_ledger_parts_by_period') }} where stream_id = 'HO-VRU' and period_type = 'quarter'
),
periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
categories as (select unnest(['Core function', 'Interventions', 'Evaluation']) as vru_category),
spend as (
    select period, vru_category,
           sum(allocated_amount) filter (where in_period) as in_period,
           sum(allocated_amount) as year_to_date
    from parts group by all
)
select
    periods.period,
    'HO-VRU' as stream_id,
    categories.vru_category,
    cast(coalesce(spend.in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(spend.year_to_date, 0) as decimal(18, 2)) as spend_year_to_date
from periods
cross join categories
left join spend on spend.period = periods.period and spend.vru_category = categories.vru_category
where exists (select 1 from {{ ref('int_funding_streams_current') }} where stream_id = 'HO-VRU')
