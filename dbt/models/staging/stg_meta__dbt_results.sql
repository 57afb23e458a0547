-- Every dbt node's result in every invocation, recorded by the on-run-end hook after the models are
-- built: a view, so it shows the results recorded when it is read.
select
    invocation_id,
    unique_id,
    resource_type,
    name,
    status,
    failures,
    depends_on,
    message,
    recorded_at
from {{ source('meta', 'dbt_results') }}
