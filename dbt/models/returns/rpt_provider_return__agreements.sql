-- What a provider's quarterly return template prints about its agreement: from the latest register.
select
    agreement_ref,
    provider_name,
    service_name,
    start_date,
    end_date,
    service_category
from {{ ref('int_agreements_current') }}
