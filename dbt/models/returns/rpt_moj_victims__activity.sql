-- MoJ victims' services return: referrals and victims supported by service and crime type in the
-- half-year, from the current quarterly returns of services paid from MoJ grant lines.
with cells as (
    select * from {{ ref('int_return_cells_by_period') }}
    where period_type = 'half' and sheet = 'Activity'
      and agreement_ref in ({{ agreements_funded_by("funder = 'MoJ'") }})
)
select
    cells.period,
    cells.agreement_ref,
    agreements.service_name,
    cells.row_label as crime_type,
    cast(coalesce(sum(value_number) filter (where column_label = 'Referrals received'), 0) as bigint)
        as referrals_received,
    cast(coalesce(sum(value_number) filter (where column_label = 'Referrals accepted'), 0) as bigint)
        as referrals_accepted,
    cast(coalesce(sum(value_number) filter (where column_label = 'Service users supported'), 0) as bigint)
        as victims_supported
from cells
join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
group by all
having sum(value_number) > 0
