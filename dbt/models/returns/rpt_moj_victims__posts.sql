-- MoJ victims' services return: independent sexual and domestic violence adviser posts (ISVA,
-- IDVA) the pack's grant lines fund in the half-year, in full-time equivalents: each agreement's
-- posts (register, Funded posts sheet) times the share the MoJ lines pay of it.
with figures as (
    select period, agreement_ref, row_label as post_type, sum(amount) as funded_fte
    from {{ ref('rpt_moj_victims__contributions') }}
    where section = 'posts'
    group by all
)
select
    figures.period,
    figures.agreement_ref,
    agreements.provider_name,
    agreements.service_name,
    figures.post_type,
    cast(figures.funded_fte as decimal(9, 2)) as funded_fte
from figures
join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
