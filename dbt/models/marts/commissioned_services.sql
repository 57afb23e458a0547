-- One row per agreement per financial year in which it was active: what was bought, from whom,
-- paid from which streams, for which plan priority, what it cost and what it delivered.
-- The primary priority comes from the plan in force for most of the agreement's active months in the
-- year (each month counts for the plan in force on its first day; ties go to the later plan), so a
-- year that mostly fell under the previous plan keeps that plan's priority.
-- Spend is compared with the value of the months the ledger holds so far (int_ledger_months_covered),
-- not the full year's value: a year in progress is not "spend below value" all year.
-- Each KPI is judged against the target written on the return it was reported on (the register's
-- target only where the return's is blank).
with agreements as (select * from {{ ref('int_agreements_current') }}),
years as (
    select distinct financial_year from {{ ref('int_ledger_lines_deduplicated') }}
    union select distinct financial_year from {{ ref('int_provider_returns_received') }} where financial_year is not null
),
ledger_months as (select * from {{ ref('int_ledger_months_covered') }}),
active as (
    select agreements.*, years.financial_year,
           {{ months_in_year('agreements.start_date', 'agreements.end_date', 'years.financial_year') }} as months_active,
           ledger_months.months_covered as ledger_months_covered,
           -- months of the agreement in the year up to the end of the last month the ledger holds
           case when ledger_months.last_month_covered is not null then
               {{ months_in_year('agreements.start_date',
                                 'least(agreements.end_date, last_day(ledger_months.last_month_covered))',
                                 'years.financial_year') }}
           end as months_active_to_date
    from agreements cross join years
    left join ledger_months on ledger_months.financial_year = years.financial_year
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
active_months as (
    select agreement_ref, financial_year,
           unnest(generate_series(
               cast(date_trunc('month', greatest(start_date, {{ fy_start('financial_year') }})) as timestamp),
               cast(least(end_date, {{ fy_end('financial_year') }}) as timestamp), interval 1 month))::date
               as month_start
    from active
),
plan_in_force as (
    -- the plan in force for most of the agreement's active months in the year; ties: the later plan
    select active_months.agreement_ref, active_months.financial_year, plans.plan_id
    from active_months
    join plans on active_months.month_start between plans.valid_from and plans.valid_to
    group by active_months.agreement_ref, active_months.financial_year, plans.plan_id, plans.valid_from
    qualify row_number() over (partition by active_months.agreement_ref, active_months.financial_year
                               order by count(*) desc, plans.valid_from desc) = 1
),
primary_priority as (
    select plan_in_force.agreement_ref, plan_in_force.financial_year, weights.priority_id as primary_priority_id
    from plan_in_force
    join {{ ref('int_agreement_priorities_current') }} as weights
        on weights.agreement_ref = plan_in_force.agreement_ref and weights.plan_id = plan_in_force.plan_id
    qualify row_number() over (partition by plan_in_force.agreement_ref, plan_in_force.financial_year
                               order by weights.weight desc, weights.priority_id) = 1
),
spend as (
    select agreement_ref, financial_year, sum(amount) as actual_spend, count(*) as ledger_lines
    from {{ ref('int_ledger_lines_matched') }}
    where is_matched
    group by all
),
return_values as (select * from {{ ref('int_provider_return_values_current') }}),
return_sums as (
    -- referrals from the Activity sheet, outcomes from the Outcomes sheet: summed over the year's returns
    select agreement_ref, financial_year,
           sum(value_number) filter (where sheet = 'Activity' and column_label = 'Referrals received')
               as referrals_received,
           sum(value_number) filter (where sheet = 'Activity' and column_label = 'Referrals accepted')
               as referrals_accepted,
           sum(value_number) filter (where sheet = 'Outcomes' and column_label = 'Service users assessed')
               as outcomes_assessed,
           sum(value_number) filter (where sheet = 'Outcomes' and column_label = 'Service users improved')
               as outcomes_improved
    from return_values where sheet in ('Activity', 'Outcomes') group by all
),
people as (
    -- Each person once in the year (int_return_people_counted).
    select agreement_ref, period as financial_year, sum(value_number) as service_users_supported
    from {{ ref('int_return_people_counted') }}
    where period_type = 'year' and sheet = 'Activity'
    group by all
),
kpi_cells as (
    -- each KPI on each current return: the actual, and the target written beside it on that return
    select agreement_ref, financial_year, quarter, row_label as kpi,
           max(value_number) filter (where column_label = 'Actual') as actual,
           max(value_number) filter (where column_label = 'Target') as return_target
    from return_values where sheet = 'KPIs'
    group by all
),
kpi_years as (
    -- A KPI the register no longer lists has no unit (% or a count), so it is not judged.
    select cells.agreement_ref, cells.financial_year, cells.kpi,
           register.kpi is not null as in_register,
           register.unit,
           avg(cells.actual) as average_actual,
           sum(cells.actual) as total_actual,
           count(*) as quarters_reported,
           avg(coalesce(cells.return_target, register.target)) as target
    from kpi_cells as cells
    left join {{ ref('int_agreement_kpis_current') }} as register using (agreement_ref, kpi)
    where cells.actual is not null
    group by all
),
kpis as (
    select kpi_years.agreement_ref, kpi_years.financial_year,
           count(*) as kpi_actuals_reported,
           count(*) filter (where kpi_years.in_register and kpi_years.target is not null) as kpis_reported,
           count(*) filter (where kpi_years.in_register and
                                  case when kpi_years.unit = '%' then kpi_years.average_actual >= kpi_years.target
                                       -- a count's annual target, pro-rated to the months its returns cover
                                       else kpi_years.total_actual >= kpi_years.target
                                            * least(3 * kpi_years.quarters_reported, active.months_active) / 12 end)
               as kpis_met
    from kpi_years
    join active using (agreement_ref, financial_year)
    group by all
),
kpis_set as (
    select agreement_ref, count(*) as kpis_set from {{ ref('int_agreement_kpis_current') }} group by all
),
returns as (
    select agreement_ref, financial_year, count(*) filter (where is_current) as returns_received
    from {{ ref('int_provider_returns_received') }} group by all
),
due_returns as (
    -- Quarters of the year whose return was due (30 days after the quarter) by the reporting date,
    -- and which of them have no return: a year in progress is judged on the returns due so far.
    select due.agreement_ref, due.financial_year, count(*) as returns_due,
           count(*) filter (where received.quarter is null) as returns_overdue
    from (
        select active.agreement_ref, active.financial_year, periods.period as quarter
        from active
        join {{ ref('int_reporting_periods') }} as periods
            on periods.period_type = 'quarter' and periods.financial_year = active.financial_year
           and active.start_date <= periods.period_end and active.end_date >= periods.period_start
        where coalesce(active.commissioning_role, '') <> 'Influencing'
          and {{ as_of_date() }} > {{ return_due_date('periods.period_end') }}
    ) as due
    left join (select agreement_ref, quarter from {{ ref('int_provider_returns_received') }} where is_current)
        as received using (agreement_ref, quarter)
    group by all
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
        plan_in_force.plan_id,
        primary_priority.primary_priority_id,
        priority_names.priority_name as primary_priority_name,
        active.annual_value,
        cast(active.months_active as integer) as months_active,
        cast(round(active.annual_value * active.months_active / 12, 2) as decimal(18, 2)) as value_in_year,
        cast(active.ledger_months_covered as integer) as ledger_months_covered,
        cast(round(active.annual_value * active.months_active_to_date / 12, 2) as decimal(18, 2)) as value_to_date,
        cast(coalesce(spend.actual_spend, 0) as decimal(18, 2)) as actual_spend,
        cast(coalesce(return_sums.referrals_received, 0) as bigint) as referrals_received,
        cast(coalesce(return_sums.referrals_accepted, 0) as bigint) as referrals_accepted,
        cast(coalesce(people.service_users_supported, 0) as bigint) as service_users_supported,
        cast(coalesce(return_sums.outcomes_assessed, 0) as bigint) as outcomes_assessed,
        cast(coalesce(return_sums.outcomes_improved, 0) as bigint) as outcomes_improved,
        cast(coalesce(kpis_set.kpis_set, 0) as integer) as kpis_set,
        cast(coalesce(kpis.kpi_actuals_reported, 0) as integer) as kpi_actuals_reported,
        cast(coalesce(kpis.kpis_reported, 0) as integer) as kpis_reported,
        cast(coalesce(kpis.kpis_met, 0) as integer) as kpis_met,
        cast(coalesce(returns.returns_received, 0) as integer) as returns_received,
        -- An influencing role carries no money and no monitoring: no return is expected.
        cast(case when active.commissioning_role = 'Influencing' then 0 else ceil(active.months_active / 3) end
             as integer) as returns_expected,
        cast(coalesce(due_returns.returns_due, 0) as integer) as returns_due,
        cast(coalesce(due_returns.returns_overdue, 0) as integer) as returns_overdue
    from active
    left join funding using (agreement_ref)
    left join plan_in_force using (agreement_ref, financial_year)
    left join primary_priority using (agreement_ref, financial_year)
    left join priority_names on priority_names.plan_id = plan_in_force.plan_id
        and priority_names.priority_id = primary_priority.primary_priority_id
    left join spend using (agreement_ref, financial_year)
    left join return_sums using (agreement_ref, financial_year)
    left join people using (agreement_ref, financial_year)
    left join kpis using (agreement_ref, financial_year)
    left join kpis_set using (agreement_ref)
    left join returns using (agreement_ref, financial_year)
    left join due_returns using (agreement_ref, financial_year)
),
measured as (
    select
        joined.*,
        cast(case when value_to_date > 0 then actual_spend / value_to_date end as decimal(9, 4)) as spend_to_value_ratio,
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
             or returns_overdue > 1 then 'Red'
        when spend_to_value_ratio < 0.90 or kpi_attainment < 0.75 or returns_overdue > 0
             or (kpis_set > 0 and returns_due > 0 and kpi_actuals_reported = 0) then 'Amber'
        -- Green said in full, not left to an else: a row no branch describes stays null and fails the
        -- not-null constraint, instead of passing as Green.
        when coalesce(spend_to_value_ratio between 0.90 and 1.10, true) and coalesce(kpi_attainment >= 0.75, true)
             and coalesce(returns_overdue, 0) = 0
             and not coalesce(kpis_set > 0 and returns_due > 0 and kpi_actuals_reported = 0, false) then 'Green'
    end as rag_status,
    concat_ws('; ',
        case when commissioning_role = 'Influencing' then 'influencing role: the office pays for nothing here' end,
        case when commissioning_role <> 'Influencing' and ledger_months_covered is null
             then 'spend not compared: the ledger holds no month of the year'
             when commissioning_role <> 'Influencing' and spend_to_value_ratio is null
             then 'spend not compared: no value falls in the months the ledger holds' end,
        case when spend_to_value_ratio < 0.90 then 'spend below value' end,
        case when spend_to_value_ratio > 1.10 then 'spend above value' end,
        case when kpi_attainment < 0.75 then 'KPIs missed' end,
        case when kpis_set > 0 and returns_due > 0 and kpi_actuals_reported = 0 then 'no KPIs reported' end,
        case when returns_overdue > 0 then 'returns overdue' end
    ) as rag_reason
from measured
