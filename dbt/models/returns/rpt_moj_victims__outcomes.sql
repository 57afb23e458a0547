-- MoJ victims' services return: how services helped victims cope and recover, per outcome measure,
-- in the half-year (current returns of services the pack's grant lines fund). The improvement
-- rate is a formula over these (the pack spec).
select
    period,
    row_label as outcome_measure,
    cast(coalesce(sum(amount) filter (where field = 'assessed'), 0) as bigint) as assessed,
    cast(coalesce(sum(amount) filter (where field = 'improved'), 0) as bigint) as improved
from {{ ref('rpt_moj_victims__contributions') }}
where section = 'outcomes'
group by all
