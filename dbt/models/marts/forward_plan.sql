-- Agreements ending in the next 18 months, and when re-commissioning must start given the
-- lead time of their procurement route. "As of" is today unless the dbt var as_of is set.
with agreements as (select * from {{ ref('int_agreements_current') }}),
lead_times as (select * from {{ ref('procurement_lead_times') }})
select
    {{ as_of_date() }} as as_of_date,
    agreements.agreement_ref,
    agreements.provider_name,
    agreements.service_name,
    agreements.service_category,
    agreements.agreement_type,
    agreements.commissioning_role,
    agreements.procurement_route,
    agreements.annual_value,
    agreements.end_date,
    cast(coalesce(lead_times.lead_time_months, 12) as integer) as lead_time_months,
    cast(agreements.end_date - to_months(cast(coalesce(lead_times.lead_time_months, 12) as integer)) as date)
        as recommission_start_date,
    cast(datediff('month', {{ as_of_date() }}, agreements.end_date) as integer) as months_until_end,
    case
        when agreements.end_date - to_months(cast(coalesce(lead_times.lead_time_months, 12) as integer)) < {{ as_of_date() }}
            then 'Late: re-commissioning should already have started'
        when agreements.end_date - to_months(cast(coalesce(lead_times.lead_time_months, 12) as integer))
             < {{ as_of_date() }} + interval 3 month
            then 'Start within 3 months'
        else 'Planned'
    end as status
from agreements
left join lead_times using (procurement_route)
where agreements.end_date >= {{ as_of_date() }}
  and agreements.end_date < {{ as_of_date() }} + interval 18 month
