-- Every figure of every current provider return, once for each reporting period (quarter and
-- half-year) and once for the financial year that contain its quarter, with the file and cell
-- it came from.
with cells as (
    select *, {{ quarter_start('quarter') }} as quarter_start
    from {{ ref('int_provider_return_values_current') }}
)
select
    periods.period,
    periods.period_type,
    cells.agreement_ref,
    cells.quarter,
    cells.sheet,
    cells.cell,
    cells.row_group,
    cells.row_label,
    cells.column_label,
    cells.value_number,
    cells.source_file,
    cells.return_file_sha256
from cells
join (
    select period, period_type, period_start, period_end from {{ ref('int_reporting_periods') }}
    union all
    select distinct financial_year, 'year', year_start, year_end from {{ ref('int_reporting_periods') }}
) as periods
    on cells.quarter_start between periods.period_start and periods.period_end
