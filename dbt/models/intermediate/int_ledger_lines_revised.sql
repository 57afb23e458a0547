-- Transactions the finance system revised between exports: one row per transaction whose
-- amount, posting date, cost centre, agreement or journal type in a later export differs from
-- an earlier one. The latest export is the finance system's truth and is what the warehouse
-- counts (int_ledger_lines_deduplicated); this lists the change for the finance officer.
-- Exports are ordered as the de-duplication orders them (by load time, then file name); each
-- export's copy is its first line of the transaction. The row compares the latest version
-- (in the export where it first arrived) with the version just before it.
with exports as (
    select
        transaction_id, posting_date, amount, cost_centre, agreement_ref, journal_type,
        _source_file, _source_locator, _load_id, _loaded_at
    from {{ ref('stg_finance__ledger_lines') }}
    qualify row_number() over (
        partition by transaction_id, _source_sha256, _loaded_at
        order by try_cast(regexp_extract(_source_locator, '[0-9]+') as bigint), _source_locator
    ) = 1
),

ordered as (
    select *, row_number() over (partition by transaction_id order by _loaded_at, _source_file) as export_number
    from exports
),

versions as (
    select
        *,
        export_number > 1 and (
            amount is distinct from lag(amount) over by_export
            or posting_date is distinct from lag(posting_date) over by_export
            or cost_centre is distinct from lag(cost_centre) over by_export
            or agreement_ref is distinct from lag(agreement_ref) over by_export
            or journal_type is distinct from lag(journal_type) over by_export
        ) as is_new_version
    from ordered
    window by_export as (partition by transaction_id order by export_number)
),

latest_change as (
    select transaction_id, max(export_number) as export_number
    from versions
    where is_new_version
    group by transaction_id
)

select
    latest.transaction_id,
    concat_ws(', ',
        case when latest.amount is distinct from earlier.amount then 'amount' end,
        case when latest.posting_date is distinct from earlier.posting_date then 'posting date' end,
        case when latest.cost_centre is distinct from earlier.cost_centre then 'cost centre' end,
        case when latest.agreement_ref is distinct from earlier.agreement_ref then 'agreement' end,
        case when latest.journal_type is distinct from earlier.journal_type then 'journal type' end
    ) as changed,
    earlier.amount as earlier_amount,
    earlier.posting_date as earlier_posting_date,
    earlier.cost_centre as earlier_cost_centre,
    earlier.agreement_ref as earlier_agreement_ref,
    earlier.journal_type as earlier_journal_type,
    earlier._source_file as earlier_source_file,
    earlier._source_locator as earlier_source_locator,
    earlier._load_id as earlier_load_id,
    earlier._loaded_at as earlier_loaded_at,
    latest.amount as latest_amount,
    latest.posting_date as latest_posting_date,
    latest.cost_centre as latest_cost_centre,
    latest.agreement_ref as latest_agreement_ref,
    latest.journal_type as latest_journal_type,
    latest._source_file as latest_source_file,
    latest._source_locator as latest_source_locator,
    latest._load_id as latest_load_id,
    latest._loaded_at as latest_loaded_at,
    latest.amount - earlier.amount as amount_change
from latest_change
join versions as latest
    on latest.transaction_id = latest_change.transaction_id
    and latest.export_number = latest_change.export_number
join versions as earlier
    on earlier.transaction_id = latest_change.transaction_id
    and earlier.export_number = latest_change.export_number - 1
