-- The figures of current provider returns only (superseded submissions excluded), long format,
-- each with the file and sheet!cell it came from.
with returns as (select * from {{ ref('int_provider_returns_received') }} where is_current),
cells as (select * from {{ ref('stg_provider_returns__cells') }})

select
    returns.agreement_ref,
    returns.quarter,
    returns.financial_year,
    cells.sheet,
    cells.row_group,
    cells.row_label,
    cells.column_label,
    cells.value_number,
    cells.value_text,
    cells.cell,
    returns.return_file_sha256,
    returns.source_file
from cells
join returns using (return_file_sha256)
where cells.sheet <> 'Cover'
