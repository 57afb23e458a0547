-- Each dbt node's latest result, which the pack gate reads. A view, because the results are recorded
-- by the on-run-end hook after the models are built. Its columns are int_dbt_results_latest's (the
-- contract in _returns__models.yml names them).
{{ config(materialized='view') }}
select * from {{ ref('int_dbt_results_latest') }}
