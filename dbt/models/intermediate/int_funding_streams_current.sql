-- Funding streams and their rules from the latest tenant.yml.
with streams as ({{ latest_file(ref('stg_tenant__funding_streams')) }})
select stream_id, stream_name, funder, ring_fence, carry_forward_allowed, match_funding_pct, reported_in,
       first_year, last_year, match_funding_for
from streams
