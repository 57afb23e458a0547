-- The Home Office returns count delivery per stream: an agreement funded by two streams reported
-- in the Immediate Justice return would count its participants under each, and the VRU return
-- states one match-funding rate for its streams. Rows returned are tenant.yml set-ups the returns
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
    select count(distinct match_funding_pct) as rates from streams where reported_in = 'ho-vru'
)
select 'agreement ' || agreement_ref || ' is funded by ' || streams || ' Immediate Justice streams' as problem
from ij_agreements
union all
select 'the VRU streams give ' || rates || ' different match-funding rates' from vru_rates where rates > 1
