-- Census 2021 population of each tenant district by return characteristic and group (age band,
-- ethnicity, disability) and in total, by census table and the ages its people are (age_from to
-- age_to, from census_group_map: an age band row holds one census band's people, a table with no
-- age breakdown holds all ages), so a baseline can keep only the ages a service is for.
-- District-level tables are used where present, otherwise LSOA-level tables summed to districts;
-- the newest download of each figure counts once.
with obs as (
    select * from {{ ref('stg_ons__census_observations') }}
    qualify row_number() over (partition by table_code, geography_code, measure order by _loaded_at desc) = 1
),
by_area as (
    select obs.table_code, obs.measure, obs.observation_count, d.district_code, 'district' as level
    from obs join {{ ref('int_districts_current') }} as d on d.area_code = obs.geography_code
    union all
    select obs.table_code, obs.measure, obs.observation_count, l.district_code, 'lsoa' as level
    from obs join {{ ref('int_lsoa_districts') }} as l on l.lsoa_code = obs.geography_code
    where l.district_code is not null
),
chosen as (
    select * from by_area
    qualify level = first_value(level) over (partition by table_code, district_code order by level)
)
select
    chosen.district_code,
    map.table_code,
    map.characteristic,
    map.group_name,
    map.age_from,
    map.age_to,
    cast(sum(chosen.observation_count * map.weight) as decimal(18, 1)) as population
from chosen
join {{ ref('census_group_map') }} as map on map.table_code = chosen.table_code and map.measure = chosen.measure
group by all
