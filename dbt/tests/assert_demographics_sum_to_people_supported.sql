-- In every current provider return, each demographic characteristic adds up to the number of
-- service users supported that quarter.
with supported as (
    select agreement_ref, quarter, sum(value_number) as supported
    from {{ ref('int_provider_return_values_current') }}
    where sheet = 'Activity' and column_label = 'Service users supported'
    group by all
),
demographics as (
    select agreement_ref, quarter, row_group as characteristic, sum(value_number) as total
    from {{ ref('int_provider_return_values_current') }}
    where sheet = 'Demographics' and column_label = 'Service users'
    group by all
)
select demographics.*, supported.supported
from demographics join supported using (agreement_ref, quarter)
where demographics.total <> supported.supported
