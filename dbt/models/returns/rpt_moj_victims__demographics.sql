-- MoJ victims' services return: victims supported in the half-year by characteristic and group
-- (exact counts, as the return asks; not for publication without disclosure control).
with summed as (
    select period, row_group as characteristic, row_label as group_name,
           cast(coalesce(sum(value_number), 0) as bigint) as victims_supported
    from {{ ref('int_return_cells_by_period') }}
    where period_type = 'half' and sheet = 'Demographics'
      and agreement_ref in ({{ agreements_funded_by("funder = 'MoJ'") }})
    group by all
)
select
    *,
    cast(case when group_name <> 'Not stated'
              then victims_supported / nullif(sum(victims_supported) filter (where group_name <> 'Not stated')
                                              over (partition by period, characteristic), 0)
         end as decimal(9, 4)) as share_of_stated
from summed
