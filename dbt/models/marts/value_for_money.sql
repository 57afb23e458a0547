-- Value for money per agreement and financial year: economy (spend against value), efficiency
-- (cost per service user), effectiveness (cost per improved outcome, outcome rate) and equity
-- (groups under-represented), with each cost compared to the median of services in the same
-- category that year.
with services as (select * from {{ ref('commissioned_services') }}),
equity as (
    select agreement_ref, financial_year,
           count(*) filter (where representation_flag = 'Under-represented') as under_represented_groups
    from {{ ref('edi_representation') }} group by all
),
provider_finance as (
    select agreement_ref, financial_year,
           sum(value_number) filter (where column_label = 'Spend this quarter') as provider_reported_spend
    from {{ ref('int_provider_return_values_current') }}
    -- The spend categories only: the sheet's Total row restates them.
    where sheet = 'Finance' and row_label not in ('Total', 'Underspend explanation')
    group by all
),
costs as (
    select
        services.financial_year,
        services.agreement_ref,
        services.provider_name,
        services.service_name,
        services.service_category,
        services.value_in_year,
        services.actual_spend,
        cast(provider_finance.provider_reported_spend as decimal(18, 2)) as provider_reported_spend,
        services.service_users_supported,
        services.outcomes_improved,
        services.outcome_rate,
        cast(case when services.value_in_year > 0 then services.actual_spend / services.value_in_year end
             as decimal(9, 4)) as budget_utilisation,
        cast(greatest(services.value_in_year - services.actual_spend, 0) as decimal(18, 2)) as underspend,
        cast(case when services.service_users_supported > 0
                  then services.actual_spend / services.service_users_supported end as decimal(18, 2))
            as cost_per_service_user,
        cast(case when services.outcomes_improved > 0 then services.actual_spend / services.outcomes_improved end
             as decimal(18, 2)) as cost_per_improved_outcome,
        cast(coalesce(equity.under_represented_groups, 0) as integer) as under_represented_groups
    from services
    left join equity using (agreement_ref, financial_year)
    left join provider_finance using (agreement_ref, financial_year)
),
medians as (
    select financial_year, service_category,
           median(cost_per_service_user) as category_median_cost_per_user,
           median(cost_per_improved_outcome) as category_median_cost_per_outcome,
           count(*) as services_in_category
    from costs group by all
)
select
    costs.*,
    cast(medians.category_median_cost_per_user as decimal(18, 2)) as category_median_cost_per_user,
    cast(case when medians.category_median_cost_per_user > 0
              then costs.cost_per_service_user / medians.category_median_cost_per_user end as decimal(9, 3))
        as cost_per_user_to_median,
    cast(case when medians.category_median_cost_per_outcome > 0
              then costs.cost_per_improved_outcome / medians.category_median_cost_per_outcome end as decimal(9, 3))
        as cost_per_outcome_to_median,
    cast(medians.services_in_category as integer) as services_in_category
from costs
join medians using (financial_year, service_category)
