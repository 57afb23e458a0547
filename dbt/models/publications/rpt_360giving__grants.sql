-- The grants the office awarded, as its 360Giving publication shows them: one row per agreement of
-- type Grant paid from the office's own money (an influencing role carries none). Contracts, service
-- level agreements and co-commissioning buy or share a service; they are not grants and are not
-- published here. A grant the register gives no award date cannot be published (360Giving requires
-- one): it is listed, with the reason, and left out of every file.
with grants as (
    select
        *,
        -- Months of the term, counted as the warehouse counts months in a year (months_in_year).
        datediff('month', start_date, end_date + interval 1 day) as term_months
    from {{ ref('int_agreements_current') }}
    where agreement_type = 'Grant' and commissioning_role is distinct from 'Influencing' and annual_value > 0
),
categories as (select service_category, label from {{ ref('service_categories') }})
select
    grants.agreement_ref,
    case when grants.award_date is not null then {{ financial_year('grants.award_date') }} end as financial_year,
    coalesce(grants.service_name, grants.agreement_ref) as title,
    concat_ws('', coalesce(grants.service_name, grants.agreement_ref), ': ',
              coalesce(categories.label, grants.service_category),
              ' for ' || lower(grants.cohort),
              ' in ' || nullif(array_to_string(list_sort(grants.districts), ', '), ''),
              ', from ', strftime(grants.start_date, '%B %Y'), ' to ', strftime(grants.end_date, '%B %Y'),
              ', run by ' || grants.provider_name, '.') as description,
    'GBP' as currency,
    -- The register's total value for the whole term; where it is blank, the annual value for the
    -- months of the term, to the penny.
    coalesce(grants.total_value, {{ pounds_divided('grants.annual_value * grants.term_months', 12) }}) as amount_awarded,
    grants.award_date,
    grants.start_date as planned_start_date,
    grants.end_date as planned_end_date,
    grants.term_months::integer as planned_duration_months,
    grants.provider_id,
    grants.provider_name as recipient_name,
    grants.org_identifier as recipient_org_identifier,
    grants.charity_number as recipient_charity_number,
    grants.company_number as recipient_company_number,
    case when grants.award_date is null
         then 'no award date in the register (the Agreements sheet''s "Award date" column)' end as not_published_reason,
    grants.register_file,
    grants.register_locator
from grants
left join categories using (service_category)
