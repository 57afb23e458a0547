-- The funding streams each published grant is paid from: 360Giving's grant programme (code: the
-- stream id; title: its name).
with grants as (select agreement_ref from {{ ref('rpt_360giving__grants') }}),
funding as (select agreement_ref, stream_id, share from {{ ref('int_agreement_funding_current') }}),
streams as (select stream_id, stream_name from {{ ref('int_funding_streams_current') }})
select grants.agreement_ref, funding.stream_id as programme_code, streams.stream_name as programme_title, funding.share
from grants
join funding using (agreement_ref)
join streams using (stream_id)
