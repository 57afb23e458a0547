-- The reporting periods the packs are due for: quarters and half-years of every year with data.
select
    period,
    period_type,
    financial_year,
    period_start,
    period_end,
    year_start,
    year_end,
    months_remaining_in_year
from {{ ref('int_reporting_periods') }}
