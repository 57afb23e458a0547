-- MoJ victims' services return: victims supported in the half-year by characteristic and group
-- (exact counts, as the return asks; not for publication without disclosure control).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'half'),
moj_services as (
    select distinct funding.agreement_ref
    from {{ ref('int_agreement_funding_current') }} as funding
    join {{ ref('int_funding_streams_current') }} as streams using (stream_id)
    where streams.funder = 'MoJ'
),
demographic_values as (
    select v.*, {{ quarter_start('v.quarter') }} as quarter_start
    from {{ ref('int_provider_return_values_current') }} as v
    where v.sheet = 'Demographics' and v.agreement_ref in (select agreement_ref from moj_services)
),
summed as (
    select periods.period, row_group as characteristic, row_label as group_name,
           cast(coalesce(sum(value_number), 0) as bigint) as victims_supported
    from periods
    join demographic_values on demographic_values.quarter_start between periods.period_start and periods.period_end
    group by all
)
select
    *,
    cast(case when group_name <> 'Not stated'
              then victims_supported / nullif(sum(victims_supported) filter (where group_name <> 'Not stated')
                                              over (partition by period, characteristic), 0)
         end as decimal(9, 4)) as share_of_stated
from summed
