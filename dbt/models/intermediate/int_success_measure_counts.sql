-- The VRU success measures' source rows for the tenant's police force: one row per published row
-- and measure it counts towards. Rows of other forces stay in raw and staging; the force is matched
-- by name (tenant.yml police_force.name and reported_by) as the publications write it ("West
-- Yorkshire" for "West Yorkshire Police"). Publications are revised: when a later file gives a
-- quarter of the force again, only the latest file's rows for that quarter count.
-- Measures: sharp_object_admissions (HES X99), knife_enabled_serious_violence (police recorded
-- knife or sharp instrument offences), homicides and non_domestic_homicides (Homicide Index).
with tenant as (
    select * from {{ ref('stg_tenant__tenant') }}
    qualify row_number() over (order by _loaded_at desc, _source_sha256) = 1
),
force_keys as (
    select distinct {{ force_key('name') }} as force_key
    from (select force_name as name from tenant
          union all
          select unnest(force_reported_by) from tenant) as names
),
admissions as (
    select * from {{ ref('stg_nhs__sharp_object_admissions') }}
    where force_key in (select force_key from force_keys)
    qualify dense_rank() over (partition by quarter_start order by _loaded_at desc, _source_sha256) = 1
),
knife as (
    select * from {{ ref('stg_home_office__knife_offences') }}
    where force_key in (select force_key from force_keys)
    qualify dense_rank() over (partition by quarter_start order by _loaded_at desc, _source_sha256) = 1
),
homicides as (
    select * from {{ ref('stg_home_office__homicides') }}
    where force_key in (select force_key from force_keys)
    qualify dense_rank() over (partition by quarter_start order by _loaded_at desc, _source_sha256) = 1
),
measures as (
    select
        'sharp_object_admissions' as measure_id,
        'hospital admissions extract row' as source_kind,
        financial_quarter, quarter_start, admissions as value, is_under_25,
        'HES X99 ' || financial_quarter || ', ' || police_force_area || ' / ' || community_safety_partnership
            || ', age ' || age_group || ': ' || admissions || ' finished admission episodes' as detail,
        _source_file, _source_sha256, _source_locator
    from admissions
    union all
    select
        'knife_enabled_serious_violence', 'knife crime open data row',
        financial_quarter, quarter_start, offences, cast(null as boolean),
        'knife or sharp instrument offences ' || financial_quarter || ', ' || force_name || ', '
            || offence_description || ': ' || offences,
        _source_file, _source_sha256, _source_locator
    from knife
    union all
    select
        'homicides', 'homicide index row',
        financial_quarter, quarter_start, homicides, is_under_25,
        'homicides ' || financial_quarter || ', ' || police_force_area || ', '
            || case when is_domestic then 'domestic' else 'non-domestic' end || ', victim aged ' || victim_age_group
            || ': ' || homicides,
        _source_file, _source_sha256, _source_locator
    from homicides
    union all
    select
        'non_domestic_homicides', 'homicide index row',
        financial_quarter, quarter_start, homicides, is_under_25,
        'homicides ' || financial_quarter || ', ' || police_force_area || ', non-domestic, victim aged '
            || victim_age_group || ': ' || homicides,
        _source_file, _source_sha256, _source_locator
    from homicides
    where not is_domestic
)
select
    measures.measure_id,
    catalogue.measure_order,
    catalogue.measure_name,
    catalogue.under_25_published,
    measures.source_kind,
    measures.financial_quarter,
    measures.quarter_start,
    measures.value,
    coalesce(measures.is_under_25, false) and catalogue.under_25_published as is_under_25,
    measures.detail,
    measures._source_file as source_file,
    measures._source_sha256 as source_sha256,
    measures._source_locator as source_locator
from measures
join {{ ref('int_success_measures_catalogue') }} as catalogue using (measure_id)
