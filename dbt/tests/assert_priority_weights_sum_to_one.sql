-- Every agreement's priority weights under each plan sum to 1; funding shares sum to 1.
select 'priority weights' as what, agreement_ref, plan_id, sum(weight) as total
from {{ ref('int_agreement_priorities_current') }}
group by agreement_ref, plan_id
having sum(weight) <> 1
union all
select 'funding shares', agreement_ref, null, sum(share)
from {{ ref('int_agreement_funding_current') }}
group by agreement_ref
having sum(share) <> 1
