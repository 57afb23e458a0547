-- Each dbt node's latest result, which the pack gate reads. A view, because the results are recorded
-- by the on-run-end hook after the models are built.
{{ config(materialized='view') }}
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
from {{ ref('int_dbt_results_latest') }}
