-- MoJ victims' services return: spend from MoJ grant lines by commissioned service, in the half-year
-- and year to date. Spend not linked to an agreement is one row of its own, so the rows add up
-- to the grant lines.
with spend as ({{ period_spend('half', "streams.funder = 'MoJ'", ['agreement_ref']) }}),
agreements as (select * from {{ ref('int_agreements_current') }})
select
    spend.period,
    coalesce(spend.agreement_ref, 'UNMATCHED') as agreement_ref,
    coalesce(agreements.provider_name, 'Not linked to an agreement') as provider_name,
    coalesce(agreements.service_name, 'Spend with no agreement reference') as service_name,
    agreements.service_category,
    spend.spend_in_period,
    spend.spend_year_to_date
from spend
left join agreements using (agreement_ref)
