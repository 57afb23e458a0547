-- Every ledger line's amount allocated, to the penny, across funding streams (the agreement's
-- funding split) and plan priorities (the agreement's weights for the plan in force on the
-- posting date). Parts are cut down to whole pence and the pennies left over go to the largest
-- part, so each line's parts add up exactly to the line. Lines with no agreement go to their
-- booked stream with no priority; agreements with no weights for the plan go to no priority.
with lines as (select * from {{ ref('int_ledger_lines_matched') }}),
funding as (select * from {{ ref('int_agreement_funding_current') }}),
weights as (select * from {{ ref('int_agreement_priorities_current') }}),

parts as (
    select
        lines.transaction_id,
        coalesce(funding.stream_id, lines.booked_stream_id) as stream_id,
        weights.priority_id,
        case when weights.priority_id is null then null else lines.plan_id end as plan_id,
        cast(cast(coalesce(funding.share, 1) as decimal(18, 6)) * cast(coalesce(weights.weight, 1) as decimal(18, 6))
             as decimal(18, 6)) as part_weight
    from lines
    left join funding on lines.is_matched and funding.agreement_ref = lines.agreement_ref
    left join weights on lines.is_matched and weights.agreement_ref = lines.agreement_ref
        and weights.plan_id = lines.plan_id
),

ranked as (
    select
        parts.*,
        sum(part_weight) over (partition by transaction_id) as total_weight,
        row_number() over (
            partition by transaction_id order by part_weight desc, stream_id nulls last, priority_id nulls last
        ) as part_rank
    from parts
),

cut as (
    select
        ranked.*,
        cast(round(lines.amount * 100) as bigint) as line_pence,
        cast(trunc(
            case when total_weight = 1 then cast(round(lines.amount * 100) as decimal(38, 0)) * part_weight
                 else cast(round(lines.amount * 100) as double) * cast(part_weight as double) / cast(total_weight as double)
            end
        ) as bigint) as base_pence
    from ranked
    join lines using (transaction_id)
)

select
    cut.transaction_id,
    lines.posting_date,
    lines.financial_year,
    lines.agreement_ref,
    lines.match_status,
    lines.journal_type,
    cut.stream_id,
    cut.plan_id,
    cut.priority_id,
    cut.part_weight,
    cast(cast(base_pence + case when part_rank = 1
                                 then line_pence - sum(base_pence) over (partition by cut.transaction_id)
                                 else 0 end as decimal(20, 0)) * 0.01 as decimal(18, 2)) as allocated_amount,
    lines.amount as line_amount
from cut
join lines using (transaction_id)
