-- MoJ victims' services return: how services helped victims cope and recover, per outcome measure,
-- in the half-year (current returns of MoJ-funded services).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'half'),
moj_services as (
    select distinct funding.agreement_ref
    from {{ ref('int_agreement_funding_current') }} as funding
    join {{ ref('int_funding_streams_current') }} as streams using (stream_id)
    where streams.funder = 'MoJ'
),
outcome_values as (
    select v.*, {{ quarter_start('v.quarter') }} as quarter_start
    from {{ ref('int_provider_return_values_current') }} as v
    where v.sheet = 'Outcomes' and v.agreement_ref in (select agreement_ref from moj_services)
),
summed as (
    select
        periods.period,
        outcome_values.row_label as outcome_measure,
        cast(coalesce(sum(value_number) filter (where column_label = 'Service users assessed'), 0) as bigint) as assessed,
        cast(coalesce(sum(value_number) filter (where column_label = 'Service users improved'), 0) as bigint) as improved
    from periods
    join outcome_values on outcome_values.quarter_start between periods.period_start and periods.period_end
    group by all
)
select *, cast(case when assessed > 0 then improved / assessed end as decimal(9, 4)) as improvement_rate
from summed
