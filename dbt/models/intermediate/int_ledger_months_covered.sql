-- One row per financial year the ledger covers: the months of the year it holds, counted from
-- April to the last month with a line posted in the year (a month with no posting before that is
-- a quiet month, not a missing one), and whether the year is closed - ended by the reporting date
-- (today, or the tenant's as_of) with its last month (March) held, as funding_position judges it.
with years as (
    select financial_year, max(date_trunc('month', posting_date))::date as last_month_covered
    from {{ ref('int_ledger_lines_deduplicated') }}
    group by financial_year
)
select
    financial_year,
    cast(datediff('month', {{ fy_start('financial_year') }}, last_month_covered) + 1 as integer) as months_covered,
    last_month_covered,
    last_day(last_month_covered) as covered_to,
    month(last_month_covered) = 3 and {{ fy_end('financial_year') }} < {{ as_of_date() }} as year_closed
from years
