-- The KPIs and targets a provider's quarterly return template asks for: from the latest register.
select
    agreement_ref,
    kpi,
    target,
    unit
from {{ ref('int_agreement_kpis_current') }}
