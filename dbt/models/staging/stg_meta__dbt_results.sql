-- Every dbt node's result in every invocation, recorded by the on-run-end hook after the models are
-- built: a view, so it shows the results recorded when it is read. The columns are in the order
-- rpt_check_results publishes them, which selects them through int_dbt_results_latest.
select
    unique_id,
    resource_type,
    name,
    status,
    failures,
    depends_on,
    message,
    invocation_id,
    recorded_at
from {{ source('meta', 'dbt_results') }}
