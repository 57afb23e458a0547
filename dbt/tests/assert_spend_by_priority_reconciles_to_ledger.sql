-- Spend attributed to priorities and streams adds up, per financial year, to the de-duplicated
-- ledger to the penny. Any row returned is a mismatch.
with mart as (select financial_year, sum(spend) as attributed from {{ ref('spend_by_priority') }} group by 1),
ledger as (select financial_year, sum(amount) as ledger from {{ ref('int_ledger_lines_deduplicated') }} group by 1)
select coalesce(mart.financial_year, ledger.financial_year) as financial_year, attributed, ledger
from mart full join ledger using (financial_year)
where attributed is distinct from ledger
