-- MoJ victims' services return: referrals and victims supported by service and crime type in the
-- half-year, from the current quarterly returns of services the pack's grant lines fund.
with figures as ({{ section_figures('rpt_moj_victims__contributions', 'activity',
    {'agreement_ref': 'agreement_ref', 'crime_type': 'row_label'},
    ['referrals_received', 'referrals_accepted', 'victims_supported'], having='sum(amount) > 0') }})
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
