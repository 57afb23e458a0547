-- One row per line as exported; the same transaction can appear in two overlapping exports.
select
    transaction_id,
    {{ to_uk_date('posting_date') }} as posting_date,
    period as finance_period,
    cost_centre,
    account_code,
    supplier_name,
    nullif(trim(agreement_ref), '') as agreement_ref,
    journal_type,
    {{ to_money('amount') }} as amount,
    description,
    {{ provenance() }}
from {{ source('raw', 'ledger_lines') }}
