-- The latest successful build, written when the build is published, after dbt has run: a view, so
-- it shows the build_state recorded when it is read.
select
    tenant,
    fingerprint,
    built_at,
    load_id
from {{ source('meta', 'build_state') }}
