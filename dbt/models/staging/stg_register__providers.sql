select
    provider_id,
    provider_name,
    organisation_type,
    charity_number,
    company_number,
    case
        when charity_number is not null then 'GB-CHC-' || charity_number
        when company_number is not null then 'GB-COH-' || company_number
    end as org_identifier,
    string_split(districts_served, '; ') as districts_served,
    size_band,
    {{ provenance() }}
from {{ source('raw', 'providers') }}
