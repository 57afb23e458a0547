-- Spend per financial year, Police and Crime Plan priority and funding stream, attributed through
-- each agreement's funding split and priority weights under the plan in force on the posting
-- date. Spend that cannot be attributed to a priority is a row of its own, so the totals
-- reconcile to the de-duplicated ledger to the penny.
with allocated as (select * from {{ ref('int_ledger_spend_allocated') }}),
priorities as (select * from {{ ref('int_plan_priorities_current') }}),
streams as (select stream_id, stream_name, funder from {{ ref('int_funding_streams_current') }})
select
    allocated.financial_year,
    allocated.plan_id,
    priorities.plan_title,
    coalesce(allocated.priority_id, 'UNATTRIBUTED') as priority_id,
    coalesce(priorities.priority_name, 'Not attributed to a plan priority') as priority_name,
    coalesce(allocated.stream_id, 'UNKNOWN') as stream_id,
    coalesce(streams.stream_name, 'Cost centre not mapped to a funding stream') as stream_name,
    streams.funder,
    cast(sum(allocated.allocated_amount) as decimal(18, 2)) as spend,
    cast(count(distinct allocated.transaction_id) as bigint) as ledger_transactions,
    cast(count(distinct allocated.agreement_ref) as bigint) as agreements
from allocated
left join priorities on priorities.plan_id = allocated.plan_id and priorities.priority_id = allocated.priority_id
left join streams on streams.stream_id = allocated.stream_id
group by all
