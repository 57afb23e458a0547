-- The landed files the latest successful build holds: those landed before it was published (files
-- landed since are in raw but not yet in the models). Every landed file when no build is recorded
-- (a warehouse rebuilt as of an earlier load). A view, because build_state is written after dbt runs.
{{ config(materialized='view') }}
with built as (select max(built_at) as built_at from {{ ref('stg_meta__build_state') }})
select
    landed.family,
    landed.source_file,
    landed.sha256,
    landed.load_id,
    landed.loaded_at,
    landed.landed_path
from {{ ref('stg_meta__landed_files') }} as landed
cross join built
where built.built_at is null or landed.loaded_at <= built.built_at
