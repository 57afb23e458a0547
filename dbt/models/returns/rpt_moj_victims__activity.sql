-- MoJ victims' services return: referrals and victims supported by service and crime type in the
-- half-year, from the current quarterly returns of services paid from MoJ grant lines.
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'half'),
moj_services as (
    select distinct funding.agreement_ref
    from {{ ref('int_agreement_funding_current') }} as funding
    join {{ ref('int_funding_streams_current') }} as streams using (stream_id)
    where streams.funder = 'MoJ'
),
return_values as (
    select v.*, {{ quarter_start('v.quarter') }} as quarter_start
    from {{ ref('int_provider_return_values_current') }} as v
    where v.sheet = 'Activity' and v.agreement_ref in (select agreement_ref from moj_services)
)
select
    periods.period,
    return_values.agreement_ref,
    agreements.service_name,
    return_values.row_label as crime_type,
    cast(coalesce(sum(return_values.value_number) filter (where return_values.column_label = 'Referrals received'), 0) as bigint)
        as referrals_received,
    cast(coalesce(sum(return_values.value_number) filter (where return_values.column_label = 'Referrals accepted'), 0) as bigint)
        as referrals_accepted,
    cast(coalesce(sum(return_values.value_number) filter (where return_values.column_label = 'Service users supported'), 0) as bigint)
        as victims_supported
from periods
join return_values on return_values.quarter_start between periods.period_start and periods.period_end
join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
group by all
having sum(return_values.value_number) > 0
