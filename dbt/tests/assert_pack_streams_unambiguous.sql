-- The Home Office returns count delivery per stream: an agreement funded by two streams reported
-- in the Immediate Justice return would count its participants under each, and the VRU return
-- states one match-funding rate and one least share on evaluation a year for its streams. Rows returned are tenant.yml set-ups the returns
-- cannot report without double counting or guessing; the failure blocks those packs.
with streams as (select * from {{ ref('int_funding_streams_current') }}),
ij_agreements as (
    select funding.agreement_ref, count(*) as streams
    from {{ ref('int_agreement_funding_current') }} as funding
    join streams using (stream_id)
    where streams.reported_in = 'ho-immediate-justice'
    group by all
    having count(*) > 1
),
vru_rates as (
    select conditions.financial_year, count(distinct conditions.match_funding_pct) as rates,
           count(distinct conditions.evaluation_min_pct) as evaluation_rates
    from {{ ref('int_funding_stream_conditions') }} as conditions
    join streams using (stream_id)
    where streams.reported_in = 'ho-vru'
    group by all
)
select 'agreement ' || agreement_ref || ' is funded by ' || streams || ' Immediate Justice streams' as problem
from ij_agreements
union all
select 'the VRU streams give ' || rates || ' different match-funding rates for ' || financial_year
from vru_rates where rates > 1
union all
select 'the VRU streams give ' || evaluation_rates || ' different least shares on evaluation for ' || financial_year
from vru_rates where evaluation_rates > 1
