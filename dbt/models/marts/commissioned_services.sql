-- One row per agreement per financial year in which it was active: what was bought, from whom,
-- paid from which streams, for which plan priority, what it cost and what it delivered.
with agreements as (select * from {{ ref('int_agreements_current') }}),
years as (
    select distinct financial_year from {{ ref('int_ledger_lines_deduplicated') }}
    union select distinct financial_year from {{ ref('int_provider_returns_received') }} where financial_year is not null
),
active as (
    select agreements.*, years.financial_year,
           {{ months_in_year('agreements.start_date', 'agreements.end_date', 'years.financial_year') }} as months_active
    from agreements cross join years
    where {{ months_in_year('agreements.start_date', 'agreements.end_date', 'years.financial_year') }} > 0
),
funding as (
    select agreement_ref,
           string_agg(stream_id || ' ' || cast(round(share * 100, 1) as varchar) || '%', ', ' order by share desc, stream_id)
               as funding_streams,
           arg_max(stream_id, share) as primary_stream_id
    from {{ ref('int_agreement_funding_current') }}
    group by agreement_ref
),
plans as (select distinct plan_id, valid_from, valid_to from {{ ref('int_plan_priorities_current') }}),
priority_names as (select plan_id, priority_id, priority_name from {{ ref('int_plan_priorities_current') }}),
primary_priority as (
    select active.agreement_ref, active.financial_year, plans.plan_id,
           arg_max(weights.priority_id, weights.weight) as primary_priority_id
    from active
    join plans on least(active.end_date, {{ fy_end('active.financial_year') }}) between plans.valid_from and plans.valid_to
    join {{ ref('int_agreement_priorities_current') }} as weights
        on weights.agreement_ref = active.agreement_ref and weights.plan_id = plans.plan_id
    group by all
),
spend as (
    select agreement_ref, financial_year, sum(amount) as actual_spend, count(*) as ledger_lines
    from {{ ref('int_ledger_lines_matched') }}
    where is_matched
    group by all
),
return_values as (select * from {{ ref('int_provider_return_values_current') }}),
activity as (
    select agreement_ref, financial_year,
           sum(value_number) filter (where column_label = 'Referrals received') as referrals_received,
           sum(value_number) filter (where column_label = 'Referrals accepted') as referrals_accepted
    from return_values where sheet = 'Activity' group by all
),
people as (
    -- Each person once in the year (int_return_people_counted).
    select agreement_ref, period as financial_year, sum(value_number) as service_users_supported
    from {{ ref('int_return_people_counted') }}
    where period_type = 'year' and sheet = 'Activity'
    group by all
),
outcomes as (
    select agreement_ref, financial_year,
           sum(value_number) filter (where column_label = 'Service users assessed') as outcomes_assessed,
           sum(value_number) filter (where column_label = 'Service users improved') as outcomes_improved
    from return_values where sheet = 'Outcomes' group by all
),
kpi_actuals as (
    select return_values.agreement_ref, return_values.financial_year, return_values.row_label as kpi,
           avg(return_values.value_number) as average_actual, sum(return_values.value_number) as total_actual
    from return_values where sheet = 'KPIs' and column_label = 'Actual' and value_number is not null
    group by all
),
kpis as (
    select kpi_actuals.agreement_ref, kpi_actuals.financial_year,
           count(*) as kpis_reported,
           count(*) filter (where case when targets.unit = '%' then kpi_actuals.average_actual >= targets.target
                                       else kpi_actuals.total_actual >= targets.target * active.months_active / 12 end)
               as kpis_met
    from kpi_actuals
    join {{ ref('int_agreement_kpis_current') }} as targets using (agreement_ref, kpi)
    join active using (agreement_ref, financial_year)
    where targets.target is not null
    group by all
),
returns as (
    select agreement_ref, financial_year, count(*) filter (where is_current) as returns_received
    from {{ ref('int_provider_returns_received') }} group by all
),
joined as (
    select
        active.financial_year,
        active.agreement_ref,
        active.provider_id,
        active.provider_name,
        active.organisation_type,
        active.org_identifier,
        active.service_name,
        active.service_category,
        active.agreement_type,
        active.commissioning_role,
        active.procurement_route,
        active.start_date,
        active.end_date,
        funding.funding_streams,
        funding.primary_stream_id,
        primary_priority.plan_id,
        primary_priority.primary_priority_id,
        priority_names.priority_name as primary_priority_name,
        active.annual_value,
        cast(active.months_active as integer) as months_active,
        cast(round(active.annual_value * active.months_active / 12, 2) as decimal(18, 2)) as value_in_year,
        cast(coalesce(spend.actual_spend, 0) as decimal(18, 2)) as actual_spend,
        cast(coalesce(activity.referrals_received, 0) as bigint) as referrals_received,
        cast(coalesce(activity.referrals_accepted, 0) as bigint) as referrals_accepted,
        cast(coalesce(people.service_users_supported, 0) as bigint) as service_users_supported,
        cast(coalesce(outcomes.outcomes_assessed, 0) as bigint) as outcomes_assessed,
        cast(coalesce(outcomes.outcomes_improved, 0) as bigint) as outcomes_improved,
        cast(coalesce(kpis.kpis_reported, 0) as integer) as kpis_reported,
        cast(coalesce(kpis.kpis_met, 0) as integer) as kpis_met,
        cast(coalesce(returns.returns_received, 0) as integer) as returns_received,
        -- An influencing role carries no money and no monitoring: no return is expected.
        cast(case when active.commissioning_role = 'Influencing' then 0 else ceil(active.months_active / 3) end
             as integer) as returns_expected
    from active
    left join funding using (agreement_ref)
    left join primary_priority using (agreement_ref, financial_year)
    left join priority_names on priority_names.plan_id = primary_priority.plan_id
        and priority_names.priority_id = primary_priority.primary_priority_id
    left join spend using (agreement_ref, financial_year)
    left join activity using (agreement_ref, financial_year)
    left join people using (agreement_ref, financial_year)
    left join outcomes using (agreement_ref, financial_year)
    left join kpis using (agreement_ref, financial_year)
    left join returns using (agreement_ref, financial_year)
),
measured as (
    select
        joined.*,
        cast(case when value_in_year > 0 then actual_spend / value_in_year end as decimal(9, 4)) as spend_to_value_ratio,
        cast(case when outcomes_assessed > 0 then outcomes_improved / outcomes_assessed end as decimal(9, 4))
            as outcome_rate,
        cast(case when kpis_reported > 0 then kpis_met / kpis_reported end as decimal(9, 4)) as kpi_attainment
    from joined
)
select
    measured.*,
    case
        when commissioning_role = 'Influencing' then 'Not assessed'
        when spend_to_value_ratio < 0.75 or spend_to_value_ratio > 1.10 or kpi_attainment < 0.5
             or returns_expected - returns_received > 1 then 'Red'
        when spend_to_value_ratio < 0.90 or kpi_attainment < 0.75 or returns_received < returns_expected then 'Amber'
        else 'Green'
    end as rag_status,
    concat_ws('; ',
        case when commissioning_role = 'Influencing' then 'influencing role: the office pays for nothing here' end,
        case when spend_to_value_ratio < 0.90 then 'spend below value' end,
        case when spend_to_value_ratio > 1.10 then 'spend above value' end,
        case when kpi_attainment < 0.75 then 'KPIs missed' end,
        case when returns_received < returns_expected then 'returns missing' end
    ) as rag_reason
from measured
