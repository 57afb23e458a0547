-- Each ledger line's allocated parts add up to the line exactly.
select transaction_id, any_value(line_amount) as line_amount, sum(allocated_amount) as allocated
from {{ ref('int_ledger_spend_allocated') }}
group by transaction_id
having sum(allocated_amount) <> any_value(line_amount)
