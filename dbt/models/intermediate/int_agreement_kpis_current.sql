with k as ({{ latest_file(ref('stg_register__agreement_kpis')) }})
select agreement_ref, kpi, target, unit
from k
