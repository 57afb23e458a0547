-- Each funding stream's allocation for a financial year: the allocation letter landed last
-- (a revised letter replaces the earlier one), with the file and line it came from.
select
    stream_id,
    financial_year,
    allocation,
    award_reference,
    award_date,
    _source_file as source_file,
    _source_sha256 as source_sha256,
    _source_locator as source_locator
from {{ ref('stg_finance__funding_allocations') }}
qualify row_number() over (partition by stream_id, financial_year order by _loaded_at desc, _source_file desc) = 1
