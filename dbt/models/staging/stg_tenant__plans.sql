select
    plan_id,
    plan_title,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    case when cross_cutting_themes = '' then []::varchar[] else string_split(cross_cutting_themes, '|') end
        as cross_cutting_themes,
    {{ provenance() }}
from {{ source('raw', 'tenant_plans') }}
