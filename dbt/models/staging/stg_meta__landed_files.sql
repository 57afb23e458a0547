-- The files landed, as the pipeline recorded them. A view: it shows what is recorded when it is read.
select
    sha256,
    family,
    source_file,
    landed_path,
    bytes,
    rows_loaded,
    load_id,
    loaded_at
from {{ source('meta', 'landed_files') }}
