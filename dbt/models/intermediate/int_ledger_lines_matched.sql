-- Each de-duplicated ledger line tied to its agreement, its booked funding stream (by cost
-- centre) and the Police and Crime Plan in force on its posting date. Lines that match no
-- agreement are kept, with the reason, never dropped.
with lines as (select * from {{ ref('int_ledger_lines_deduplicated') }}),
agreements as (select * from {{ ref('int_agreements_current') }}),
centres as ({{ latest_file(ref('stg_tenant__cost_centres')) }}),
plans as (select distinct plan_id, valid_from, valid_to from {{ ref('int_plan_priorities_current') }})

select
    lines.*,
    centres.stream_id as booked_stream_id,
    case
        when lines.agreement_ref is null then 'no_agreement_reference'
        when agreements.agreement_ref is null then 'unknown_agreement'
        else 'matched'
    end as match_status,
    agreements.agreement_ref is not null as is_matched,
    plans.plan_id
from lines
left join agreements on agreements.agreement_ref = lines.agreement_ref
left join centres on centres.cost_centre = lines.cost_centre
left join plans on lines.posting_date between plans.valid_from and plans.valid_to
