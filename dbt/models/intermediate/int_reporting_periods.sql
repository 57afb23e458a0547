-- The reporting periods of every financial year with data: quarters (2024-25-Q3) for the Home
-- Office returns and halves (2024-25-H1) for the Ministry of Justice return.
with years as (
    select distinct financial_year from {{ ref('int_ledger_lines_deduplicated') }}
    union
    select distinct financial_year from {{ ref('int_provider_returns_received') }} where financial_year is not null
),
periods as (
    select financial_year, 'quarter' as period_type, financial_year || '-Q' || n as period,
           ({{ fy_start('financial_year') }} + to_months(3 * (n - 1)))::date as period_start,
           ({{ fy_start('financial_year') }} + to_months(3 * n) - interval 1 day)::date as period_end
    from years, range(1, 5) as r(n)
    union all
    select financial_year, 'half', financial_year || '-H' || n,
           ({{ fy_start('financial_year') }} + to_months(6 * (n - 1)))::date,
           ({{ fy_start('financial_year') }} + to_months(6 * n) - interval 1 day)::date
    from years, range(1, 3) as r(n)
)
select
    period,
    period_type,
    financial_year,
    period_start,
    period_end,
    {{ fy_start('financial_year') }} as year_start,
    {{ fy_end('financial_year') }} as year_end,
    cast(datediff('month', period_end + interval 1 day, {{ fy_end('financial_year') }} + interval 1 day) as integer)
        as months_remaining_in_year
from periods
