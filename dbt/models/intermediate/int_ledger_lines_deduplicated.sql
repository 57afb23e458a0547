-- One row per finance transaction. Monthly exports overlap, so a transaction can arrive in
-- several files (and, rarely, twice in one); the copy from the latest export is kept, and
-- the number of copies and of differing versions is recorded for audit.
-- Inside one export the FIRST line is kept, ordered by the line number (line 6 before line 12;
-- never by the text 'line N', which puts 'line 12' first). Only exact repeats can reach here:
-- a repeat with other values is refused at landing (LEDGER.unique_key), so the choice does not
-- change a figure, but it is fixed. Changes between exports are listed by int_ledger_lines_revised.
with lines as (
    select * from {{ ref('stg_finance__ledger_lines') }}
),

copies as (
    select
        transaction_id,
        count(*) as copies_received,
        count(distinct concat_ws('|', posting_date, amount, cost_centre, coalesce(agreement_ref, ''), journal_type))
            as versions_received
    from lines
    group by transaction_id
)

select
    lines.transaction_id,
    lines.posting_date,
    {{ financial_year('lines.posting_date') }} as financial_year,
    lines.finance_period,
    lines.cost_centre,
    lines.account_code,
    lines.supplier_name,
    lines.agreement_ref,
    lines.journal_type,
    lines.amount,
    lines.description,
    copies.copies_received,
    copies.versions_received,
    lines._source_file,
    lines._source_sha256,
    lines._source_locator,
    lines._load_id
from lines
join copies using (transaction_id)
qualify row_number() over (
    partition by lines.transaction_id
    order by lines._loaded_at desc, lines._source_file desc,
             try_cast(regexp_extract(lines._source_locator, '[0-9]+') as bigint), lines._source_locator
) = 1
