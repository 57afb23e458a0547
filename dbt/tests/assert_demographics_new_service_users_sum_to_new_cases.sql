-- In every current provider return of template PQR-2025.1 on, each demographic characteristic's
-- "New service users" adds up to the quarter's New cases (earlier returns have no such column).
with new_cases as (
    select agreement_ref, quarter, sum(value_number) as new_cases
    from {{ ref('int_provider_return_values_current') }}
    where sheet = 'Activity' and column_label = 'New cases'
    group by all
),
demographics as (
    select agreement_ref, quarter, row_group as characteristic, sum(value_number) as total
    from {{ ref('int_provider_return_values_current') }}
    where sheet = 'Demographics' and column_label = 'New service users'
    group by all
    having count(value_number) > 0
)
select demographics.*, new_cases.new_cases
from demographics join new_cases using (agreement_ref, quarter)
where demographics.total <> new_cases.new_cases
