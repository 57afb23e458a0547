-- Counts of people in current provider returns are never negative.
select agreement_ref, quarter, sheet, cell, value_number
from {{ ref('int_provider_return_values_current') }}
where sheet in ('Activity', 'Outcomes', 'Demographics', 'Immediate Justice') and value_number < 0
