-- MoJ victims' services return: how services helped victims cope and recover, per outcome measure,
-- in the half-year (current returns of MoJ-funded services).
with summed as (
    select
        period,
        row_label as outcome_measure,
        cast(coalesce(sum(value_number) filter (where column_label = 'Service users assessed'), 0) as bigint) as assessed,
        cast(coalesce(sum(value_number) filter (where column_label = 'Service users improved'), 0) as bigint) as improved
    from {{ ref('int_return_cells_by_period') }}
    where period_type = 'half' and sheet = 'Outcomes'
      and agreement_ref in ({{ agreements_funded_by("funder = 'MoJ'") }})
    group by all
)
select *, cast(case when assessed > 0 then improved / assessed end as decimal(9, 4)) as improvement_rate
from summed
