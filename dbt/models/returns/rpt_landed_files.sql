-- The landed files a pack's figures come from (its manifest's inputs, a trace's files): those the latest
-- successful build holds. A view over the pipeline's records, so it shows the build recorded when it
-- is read (the build is published after dbt runs).
{{ config(materialized='view') }}
select
    family,
    source_file,
    sha256,
    load_id,
    loaded_at,
    landed_path
from {{ ref('int_landed_files_built') }}
