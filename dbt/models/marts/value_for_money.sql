-- Value for money per agreement and financial year: economy (spend against the value of the same
-- months), efficiency (cost per service user), effectiveness (cost per person improved on the
-- category's headline outcome) and equity (groups under-represented), with each cost compared to
-- the median of the services in the same category that year.
-- Like terms only: a cost per person is worked out only where spend and people cover the same
-- months (every expected return received, the ledger holding the agreement's months of the year);
-- a median only over three or more services with a cost. Otherwise the figure is null and a
-- *_not_available_reason column says why.
with services as (select * from {{ ref('commissioned_services') }}),
categories as (select service_category, headline_outcome from {{ ref('service_categories') }}),
ledger as (select * from {{ ref('int_ledger_months_covered') }}),
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
headline as (
    -- People assessed and improved on the category's one headline measure, over the year's returns:
    -- the five measures count the same people five times, so they are never added together.
    select return_values.agreement_ref, return_values.financial_year,
           sum(return_values.value_number) filter (where return_values.column_label = 'Service users assessed')
               as assessed,
           sum(return_values.value_number) filter (where return_values.column_label = 'Service users improved')
               as improved
    from {{ ref('int_provider_return_values_current') }} as return_values
    join services using (agreement_ref, financial_year)
    join categories on categories.service_category = services.service_category
        and return_values.row_label = categories.headline_outcome
    where return_values.sheet = 'Outcomes'
    group by all
),
terms as (
    select
        services.*,
        categories.headline_outcome,
        headline.assessed as headline_assessed,
        headline.improved as headline_improved,
        provider_finance.provider_reported_spend,
        equity.under_represented_groups,
        ledger.months_covered,
        ledger.covered_to,
        coalesce(ledger.year_closed, false) as year_closed,
        -- Why spend and people do not cover the same months (null where they do).
        case
            when services.returns_received < services.returns_expected
                then concat(services.returns_received, ' of ', services.returns_expected, ' returns received')
            when ledger.covered_to is null then 'the ledger holds no month of ' || services.financial_year
            when ledger.covered_to < least(services.end_date, {{ fy_end('services.financial_year') }})
                then 'the ledger holds spend to ' || strftime(ledger.covered_to, '%B %Y') || ' only, the service ran to '
                     || strftime(least(services.end_date, {{ fy_end('services.financial_year') }}), '%B %Y')
        end as months_differ_reason
    from services
    left join categories using (service_category)
    left join headline using (agreement_ref, financial_year)
    left join provider_finance using (agreement_ref, financial_year)
    left join equity using (agreement_ref, financial_year)
    left join ledger using (financial_year)
),
costs as (
    select
        terms.*,
        case when months_differ_reason is null and actual_spend >= 0 and service_users_supported > 0
             then {{ pounds_divided('actual_spend', 'service_users_supported') }} end as cost_per_service_user,
        case when months_differ_reason is not null then months_differ_reason
             when actual_spend < 0 then 'credits exceed payments in the year'
             when service_users_supported = 0 then 'no service users reported'
        end as cost_per_user_not_available_reason,
        case when months_differ_reason is null and actual_spend >= 0 and headline_improved > 0
             then {{ pounds_divided('actual_spend', 'cast(headline_improved as bigint)') }} end
            as cost_per_improved_outcome,
        case when months_differ_reason is not null then months_differ_reason
             when actual_spend < 0 then 'credits exceed payments in the year'
             when headline_outcome is null then 'no headline outcome set for the category'
             when coalesce(headline_improved, 0) = 0 then 'no one reported improved on ' || headline_outcome
        end as cost_per_outcome_not_available_reason
    from terms
),
categories_in_year as (
    -- Medians to the half penny (decimal(18,3)) and then rounded: median() on pence truncates.
    select financial_year, service_category,
           count(*) as services_in_category,
           count(cost_per_service_user) as services_with_cost_per_user,
           count(cost_per_improved_outcome) as services_with_cost_per_outcome,
           cast(round(median(cast(cost_per_service_user as decimal(18, 3))), 2) as decimal(18, 2))
               as median_cost_per_user,
           cast(round(median(cast(cost_per_improved_outcome as decimal(18, 3))), 2) as decimal(18, 2))
               as median_cost_per_outcome
    from costs group by all
),
compared as (
    select
        costs.*,
        categories_in_year.services_in_category,
        categories_in_year.services_with_cost_per_user,
        categories_in_year.services_with_cost_per_outcome,
        -- A median of one or two services says nothing of what is typical: three at least.
        case when categories_in_year.services_with_cost_per_user >= 3 then categories_in_year.median_cost_per_user end
            as category_median_cost_per_user,
        case when categories_in_year.services_with_cost_per_outcome >= 3
             then categories_in_year.median_cost_per_outcome end as category_median_cost_per_outcome
    from costs
    join categories_in_year using (financial_year, service_category)
)
select
    financial_year,
    agreement_ref,
    provider_name,
    service_name,
    service_category,
    value_in_year,
    cast(months_covered as integer) as ledger_months_covered,
    year_closed,
    value_to_date as value_in_ledger_months,
    actual_spend,
    cast(provider_reported_spend as decimal(18, 2)) as provider_reported_spend,
    -- Spend against the value of the same months: commissioned_services defines both.
    spend_to_value_ratio as budget_utilisation,
    cast(case when year_closed then greatest(value_in_year - actual_spend, 0) end as decimal(18, 2)) as underspend,
    case when covered_to is null then 'the ledger holds no month of ' || financial_year
         when not year_closed then concat('year not closed: the ledger holds ', months_covered, ' of 12 months (to ',
                                          strftime(covered_to, '%B %Y'), ')')
    end as underspend_not_available_reason,
    returns_received,
    returns_expected,
    service_users_supported,
    cost_per_service_user,
    cost_per_user_not_available_reason,
    headline_outcome,
    cast(headline_assessed as bigint) as headline_outcome_assessed,
    cast(headline_improved as bigint) as headline_outcome_improved,
    cast(case when headline_assessed > 0 then headline_improved / headline_assessed end as decimal(9, 4))
        as headline_outcome_rate,
    cost_per_improved_outcome,
    cost_per_outcome_not_available_reason,
    cast(coalesce(under_represented_groups, 0) as integer) as under_represented_groups,
    cast(services_in_category as integer) as services_in_category,
    cast(services_with_cost_per_user as integer) as services_with_cost_per_user,
    category_median_cost_per_user,
    cast(case when category_median_cost_per_user > 0 then cost_per_service_user / category_median_cost_per_user end
         as decimal(9, 3)) as cost_per_user_to_median,
    case when category_median_cost_per_user is null
             then concat(services_with_cost_per_user, ' of the ', services_in_category,
                         ' services in the category have a cost per service user this year; a median needs 3')
         when cost_per_service_user is null then 'no cost per service user: ' || cost_per_user_not_available_reason
         when category_median_cost_per_user = 0 then 'the category median is 0.00'
    end as cost_per_user_to_median_not_available_reason,
    cast(services_with_cost_per_outcome as integer) as services_with_cost_per_outcome,
    category_median_cost_per_outcome,
    cast(case when category_median_cost_per_outcome > 0
              then cost_per_improved_outcome / category_median_cost_per_outcome end as decimal(9, 3))
        as cost_per_outcome_to_median,
    case when category_median_cost_per_outcome is null
             then concat(services_with_cost_per_outcome, ' of the ', services_in_category,
                         ' services in the category have a cost per improved outcome this year; a median needs 3')
         when cost_per_improved_outcome is null
             then 'no cost per improved outcome: ' || cost_per_outcome_not_available_reason
         when category_median_cost_per_outcome = 0 then 'the category median is 0.00'
    end as cost_per_outcome_to_median_not_available_reason
from compared
