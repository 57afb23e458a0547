-- One row per financial year the ledger holds a line in: the months of the year it covers (April
-- up to the latest month it holds a line posted in) and whether the year is closed: ended by the
-- reporting date, with its last month (March) in the ledger, as funding_position works it out.
-- Figures that compare spend with what was bought use these months, so both cover the same time.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" if var('as_of', none) else "current_date" %}
select
    financial_year,
    cast(datediff('month', {{ fy_start('financial_year') }}, max(posting_date)) + 1 as integer) as months_covered,
    last_day(max(posting_date)) as covered_to,
    bool_or(month(posting_date) = 3) and {{ fy_end('financial_year') }} < {{ as_of }} as year_closed
from {{ ref('int_ledger_lines_deduplicated') }}
group by financial_year
