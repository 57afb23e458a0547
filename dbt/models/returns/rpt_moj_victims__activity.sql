-- MoJ victims' services return: referrals and victims supported by service and crime type in the
-- half-year, from the current quarterly returns of services the pack's grant lines fund.
with figures as (
    select period, agreement_ref, row_label as crime_type,
           sum(amount) filter (where field = 'referrals_received') as referrals_received,
           sum(amount) filter (where field = 'referrals_accepted') as referrals_accepted,
           sum(amount) filter (where field = 'victims_supported') as victims_supported
    from {{ ref('rpt_moj_victims__contributions') }}
    where section = 'activity'
    group by all
    having sum(amount) > 0
)
select
    figures.period,
    figures.agreement_ref,
    agreements.service_name,
    figures.crime_type,
    cast(coalesce(figures.referrals_received, 0) as bigint) as referrals_received,
    cast(coalesce(figures.referrals_accepted, 0) as bigint) as referrals_accepted,
    cast(coalesce(figures.victims_supported, 0) as bigint) as victims_supported
from figures
join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
