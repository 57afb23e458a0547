-- The adviser posts (ISVA, IDVA) each agreement funds, from the latest agreements register. The
-- sheet is optional, so the latest register is the latest Agreements sheet: a register without
-- the sheet funds no posts (an older register's posts are not carried over).
with latest_register as (
    select distinct _source_sha256 from ({{ latest_file(ref('stg_register__agreements')) }})
)
select agreement_ref, post_type, fte, _source_file as register_file, _source_sha256 as register_sha256,
       _source_locator as register_locator
from {{ ref('stg_register__agreement_posts') }}
where _source_sha256 in (select _source_sha256 from latest_register)
