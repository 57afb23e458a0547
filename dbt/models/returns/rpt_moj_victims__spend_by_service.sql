-- MoJ victims' services return: spend from MoJ grant lines by commissioned service, in the half-year
-- and year to date. Spend not linked to an agreement is one row of its own (UNMATCHED), so the
-- rows add up to the grant lines.
with figures as ({{ section_figures('rpt_moj_victims__contributions', 'spend_by_service',
    {'agreement_ref': 'row_key'},
    ['spend_in_period', 'spend_year_to_date']) }}),
agreements as (select * from {{ ref('int_agreements_current') }})
select
    figures.period,
    figures.agreement_ref,
    coalesce(agreements.provider_name, 'Not linked to an agreement') as provider_name,
    coalesce(agreements.service_name, 'Spend with no agreement reference') as service_name,
    agreements.service_category,
    cast(coalesce(figures.spend_in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(figures.spend_year_to_date, 0) as decimal(18, 2)) as spend_year_to_date
from figures
left join agreements using (agreement_ref)
