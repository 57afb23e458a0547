-- One row per provider return file received: its cover facts, and whether it is the current
-- return for its agreement and quarter. A later submission (by date completed, then by when it
-- was loaded) supersedes an earlier one; both stay, with which superseded which.
with cells as (select * from {{ ref('stg_provider_returns__cells') }}),

covers as (
    select
        return_file_sha256,
        any_value(_source_file) as source_file,
        min(_loaded_at) as loaded_at,
        any_value(_load_id) as load_id,
        max(value_text) filter (where sheet = 'Cover' and row_label = 'Template version') as template_version,
        max(value_text) filter (where sheet = 'Cover' and row_label = 'Agreement reference') as agreement_ref,
        max(value_text) filter (where sheet = 'Cover' and row_label = 'Provider') as provider_name,
        max(value_text) filter (where sheet = 'Cover' and row_label = 'Quarter') as quarter,
        max(value_text) filter (where sheet = 'Cover' and row_label = 'Completed by') as completed_by,
        try_cast(max(value_text) filter (where sheet = 'Cover' and row_label = 'Date completed') as date)
            as date_completed
    from cells
    group by return_file_sha256
),

ranked as (
    select
        covers.*,
        left(quarter, 7) as financial_year,
        row_number() over (
            partition by agreement_ref, quarter
            order by date_completed desc nulls last, loaded_at desc, source_file desc
        ) as submission_rank,
        count(*) over (partition by agreement_ref, quarter) as submissions
    from covers
)

select
    ranked.*,
    submission_rank = 1 as is_current,
    lag(return_file_sha256) over (partition by agreement_ref, quarter order by submission_rank) as superseded_by_sha256,
    -- Which submission was current when: from its load until the load of the one that replaced it.
    loaded_at as current_from,
    lag(loaded_at) over (partition by agreement_ref, quarter order by submission_rank) as current_until
from ranked
