-- Every allocated part of every ledger line, once for each reporting period whose year-to-date
-- window holds it (flagged when it falls in the period itself), with everything a pack figure
-- is keyed on and the line's landed file. The packs' contributions (rpt_<pack>__contributions) read it.
with parts as (select * from {{ ref('int_ledger_spend_allocated') }}),
lines as (select * from {{ ref('int_ledger_lines_matched') }}),
periods as (select * from {{ ref('int_reporting_periods') }})
select
    periods.period,
    periods.period_type,
    parts.posting_date >= periods.period_start as in_period,
    parts.transaction_id,
    parts.posting_date,
    parts.journal_type,
    parts.stream_id,
    streams.funder,
    parts.agreement_ref,
    coalesce(case when parts.agreement_ref is not null then 'Interventions' end, accounts.vru_category,
             'Core function') as vru_category,
    parts.plan_id,
    parts.priority_id,
    parts.allocated_amount,
    parts.line_amount,
    lines._source_file as source_file,
    lines._source_sha256 as source_sha256,
    lines._source_locator as source_locator
from parts
join lines using (transaction_id)
join periods on parts.posting_date between periods.year_start and periods.period_end
left join {{ ref('int_funding_streams_current') }} as streams on streams.stream_id = parts.stream_id
left join {{ ref('ledger_account_categories') }} as accounts on accounts.account_code = lines.account_code
