select
    _source_sha256 as return_file_sha256,
    sheet,
    cell,
    row_group,
    row_label,
    column_label,
    value as value_text,
    try_cast(value as decimal(18, 2)) as value_number,
    {{ provenance() }}
from {{ source('raw', 'provider_return_cells') }}
