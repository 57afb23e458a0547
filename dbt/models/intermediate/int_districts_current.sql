-- Districts of the tenant from the latest tenant.yml, with every area code that means each one.
with d as ({{ latest_file(ref('stg_tenant__districts')) }})
select district_code, district_name, area_code, code_relation
from d
