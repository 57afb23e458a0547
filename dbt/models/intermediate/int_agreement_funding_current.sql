with f as ({{ latest_file(ref('stg_register__agreement_funding')) }})
select agreement_ref, stream_id, share, _source_file as register_file, _source_locator as register_locator,
       _source_sha256 as register_sha256
from f
