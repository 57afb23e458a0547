-- Every ledger line's amount allocated, to the penny, first across funding streams (the
-- agreement's funding split), then each stream's part across plan priorities (the agreement's
-- weights for the plan in force on the posting date). At each step a part is the pence times its
-- share cut toward zero, and the pennies left go to the largest part, so the parts add up exactly
-- to what they split. Streams first, so a grant line's spend never depends on priority weights.
-- Lines with no agreement go to their booked stream with no priority; agreements with no
-- weights for the plan go to no priority.
with lines as (select * from {{ ref('int_ledger_lines_matched') }}),
funding as (select * from {{ ref('int_agreement_funding_current') }}),
weights as (select * from {{ ref('int_agreement_priorities_current') }}),

stream_shares as (
    select
        lines.transaction_id,
        coalesce(funding.stream_id, lines.booked_stream_id) as stream_id,
        cast(coalesce(funding.share, 1) as decimal(18, 6)) as share,
        cast(round(lines.amount * 100) as bigint) as pence
    from lines
    left join funding on lines.is_matched and funding.agreement_ref = lines.agreement_ref
),
stream_parts as (
    {{ split_pence('stream_shares', ['transaction_id'], 'share', 'stream_id') }}
),
priority_shares as (
    select
        stream_parts.transaction_id,
        stream_parts.stream_id,
        stream_parts.share as stream_share,
        weights.priority_id,
        case when weights.priority_id is null then null else lines.plan_id end as plan_id,
        cast(coalesce(weights.weight, 1) as decimal(18, 6)) as share,
        stream_parts.part_pence as pence
    from stream_parts
    join lines using (transaction_id)
    left join weights on lines.is_matched and weights.agreement_ref = lines.agreement_ref
        and weights.plan_id = lines.plan_id
),
priority_parts as (
    {{ split_pence('priority_shares', ['transaction_id', 'stream_id'], 'share', 'priority_id') }}
)

select
    parts.transaction_id,
    lines.posting_date,
    lines.financial_year,
    lines.agreement_ref,
    lines.match_status,
    lines.journal_type,
    parts.stream_id,
    parts.plan_id,
    parts.priority_id,
    cast(parts.stream_share * parts.share as decimal(18, 6)) as part_weight,
    cast(cast(parts.part_pence as decimal(20, 0)) * 0.01 as decimal(18, 2)) as allocated_amount,
    lines.amount as line_amount
from priority_parts as parts
join lines using (transaction_id)
