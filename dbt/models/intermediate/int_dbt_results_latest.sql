-- Each dbt node's most recent result: an incremental build rebuilds and tests only what changed, so
-- the latest invocation alone does not hold every node. A view, because the results are recorded
-- by the on-run-end hook, after the models are built.
{{ config(materialized='view') }}
select *
from {{ ref('stg_meta__dbt_results') }}
qualify row_number() over (partition by unique_id order by recorded_at desc) = 1
