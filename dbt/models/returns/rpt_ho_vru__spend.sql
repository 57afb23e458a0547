-- Home Office VRU return: spend from the VRU grant by category (core function, interventions,
-- evaluation) in the quarter and year to date. Spend through agreements is intervention spend;
-- other spend takes the category of its ledger account.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
allocated as (
    select allocated.*, coalesce(case when allocated.agreement_ref is not null then 'Interventions' end,
                                 accounts.vru_category, 'Core function') as vru_category
    from {{ ref('int_ledger_spend_allocated') }} as allocated
    join {{ ref('int_ledger_lines_matched') }} as lines using (transaction_id)
    left join {{ ref('ledger_account_categories') }} as accounts on accounts.account_code = lines.account_code
    where allocated.stream_id = 'HO-VRU'
),
categories as (select unnest(['Core function', 'Interventions', 'Evaluation']) as vru_category),
spend as (
    select periods.period, allocated.vru_category,
           sum(allocated.allocated_amount) filter (where allocated.posting_date >= periods.period_start) as in_period,
           sum(allocated.allocated_amount) as year_to_date
    from periods
    join allocated on allocated.posting_date between periods.year_start and periods.period_end
    group by all
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
