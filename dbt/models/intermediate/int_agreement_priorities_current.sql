with p as ({{ latest_file(ref('stg_register__agreement_priorities')) }})
select agreement_ref, plan_id, priority_id, weight, _source_file as register_file, _source_locator as register_locator
from p
