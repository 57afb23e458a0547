-- Who each service reached, by characteristic and group, against the Census 2021 population it
-- serves: share of the people assessed, the population's share, the representation ratio and a flag,
-- with disclosure control for publication (macros/disclosure_control.sql).
--
-- The population a service is compared with is the people of the ages it serves (the register's
-- "Ages served"; not stated: all ages, and said so) in the districts it serves. A group's baseline is
-- the group's share of each served district's population in those ages, weighted by where the
-- service's users live (their counts in the served districts) or, when the returns give no district,
-- by the districts' population. A census table with no age breakdown is a baseline only for a service
-- for all ages. District is assessed among the users living in the served districts.
-- A group is assessed only when its expected count (people assessed x population share) is 5 or more.
with demographics as (
    -- Each person once in the year (int_return_people_counted).
    select agreement_ref, period as financial_year, row_group as characteristic, row_label as group_name,
           sum(value_number) as service_users
    from {{ ref('int_return_people_counted') }}
    where period_type = 'year' and sheet = 'Demographics'
    group by all
),
agreements as (
    select agreement_ref, service_name, service_category, ages_served,
           coalesce(age_from, 0) as age_from, age_to
    from {{ ref('int_agreements_current') }}
),
served as (select * from {{ ref('int_agreement_districts_served') }}),
census as (select * from {{ ref('int_census_district_groups') }}),
census_characteristics as (select distinct characteristic from census),
cohort_rows as (
    -- Each census row of a served district, with the part of its people inside the service's ages:
    -- the share of its single years of age inside them (people spread evenly within a census band, as
    -- census_group_map's 15 to 19 split assumes). Null: a row with no upper age that the cohort cuts
    -- (all ages against 18 and over), which cannot be apportioned.
    select
        agreements.agreement_ref,
        served.district_code,
        census.table_code,
        census.characteristic,
        census.group_name,
        census.age_from,
        census.age_to,
        census.population,
        case
            when census.age_to is not null then
                greatest(0, least(census.age_to, coalesce(agreements.age_to, census.age_to))
                            - greatest(census.age_from, agreements.age_from) + 1)
                / (census.age_to - census.age_from + 1)
            when census.age_from >= agreements.age_from and agreements.age_to is null then 1
            when agreements.age_to < census.age_from then 0
        end as fraction_in_cohort
    from agreements
    join served using (agreement_ref)
    join census using (district_code)
),
chosen_tables as (
    -- One census table per characteristic and service: one that can be cut to the service's ages,
    -- the one with the finest age breakdown first (a table by age, if mapped, before an all-ages one).
    select agreement_ref, characteristic, table_code
    from cohort_rows
    group by agreement_ref, characteristic, table_code
    having bool_and(fraction_in_cohort is not null)
    qualify row_number() over (
        partition by agreement_ref, characteristic order by count(distinct (age_from, age_to)) desc, table_code
    ) = 1
),
district_groups as (
    -- Population of each group in each served district within the service's ages.
    select agreement_ref, district_code, characteristic, group_name,
           sum(population * fraction_in_cohort) as population,
           max(fraction_in_cohort) > 0 as in_cohort
    from cohort_rows join chosen_tables using (agreement_ref, characteristic, table_code)
    group by all
),
cohort_groups as (
    select agreement_ref, characteristic, group_name, bool_or(in_cohort) as in_cohort
    from district_groups group by all
),
characteristic_population as (
    select agreement_ref, district_code, characteristic, sum(population) as characteristic_population
    from district_groups
    where characteristic <> 'Population'
    group by all
),
district_population as (
    -- Each served district's population in the service's ages: the census total for all ages,
    -- otherwise its age bands inside the cohort.
    select agreement_ref, district_code,
           coalesce(sum(population) filter (where characteristic = 'Population'),
                    sum(population) filter (where characteristic = 'Age band')) as population
    from district_groups
    group by all
),
district_baseline as (
    -- District: each served district's share of the served districts' population in the service's
    -- ages; no baseline unless every served district has a population.
    select served.agreement_ref, 'District' as characteristic, served.district_name as group_name,
           district_population.population
               / sum(district_population.population) over (partition by served.agreement_ref) as population_share,
           count(district_population.population) over (partition by served.agreement_ref)
               = count(*) over (partition by served.agreement_ref) as complete
    from served
    left join district_population using (agreement_ref, district_code)
),
agreement_years as (select distinct agreement_ref, financial_year from demographics),
users_by_district as (
    select demographics.agreement_ref, demographics.financial_year, served.district_code, demographics.service_users
    from demographics
    join served on served.agreement_ref = demographics.agreement_ref and served.district_name = demographics.group_name
    where demographics.characteristic = 'District'
),
weighting as (
    select agreement_years.agreement_ref, agreement_years.financial_year,
           case when coalesce(sum(users_by_district.service_users), 0) > 0 then 'Where service users live'
                else 'Population of the districts served' end as baseline_weighting
    from agreement_years
    left join users_by_district using (agreement_ref, financial_year)
    group by all
),
district_weights as (
    -- Every served district, for every characteristic with a baseline: its weight, and whether the
    -- census has the characteristic there (a weighted district without it leaves no baseline).
    select
        weighting.agreement_ref,
        weighting.financial_year,
        weighting.baseline_weighting,
        characteristics.characteristic,
        served.district_code,
        characteristic_population.characteristic_population,
        case when weighting.baseline_weighting = 'Where service users live'
             then coalesce(users_by_district.service_users, 0)
             else characteristic_population.characteristic_population end as weight
    from weighting
    join served using (agreement_ref)
    join (select distinct agreement_ref, characteristic from characteristic_population) as characteristics
        using (agreement_ref)
    left join characteristic_population
        on characteristic_population.agreement_ref = weighting.agreement_ref
        and characteristic_population.district_code = served.district_code
        and characteristic_population.characteristic = characteristics.characteristic
    left join users_by_district
        on users_by_district.agreement_ref = weighting.agreement_ref
        and users_by_district.financial_year = weighting.financial_year
        and users_by_district.district_code = served.district_code
),
normalised_weights as (
    select *,
           weight / sum(weight) over (partition by agreement_ref, financial_year, characteristic) as weight_share,
           bool_and(coalesce(weight, 1) = 0 or coalesce(characteristic_population, 0) > 0)
               over (partition by agreement_ref, financial_year, characteristic) as complete
    from district_weights
),
baseline as (
    select w.agreement_ref, w.financial_year, w.characteristic, g.group_name, w.baseline_weighting,
           sum(w.weight_share * g.population / w.characteristic_population) as population_share
    from normalised_weights as w
    join district_groups as g
        on g.agreement_ref = w.agreement_ref and g.district_code = w.district_code
        and g.characteristic = w.characteristic
    where w.complete and w.weight > 0
    group by all
    union all
    select agreement_years.agreement_ref, agreement_years.financial_year, district_baseline.characteristic,
           district_baseline.group_name, 'Population of the districts served', district_baseline.population_share
    from agreement_years join district_baseline using (agreement_ref)
    where district_baseline.complete
),
scoped as (
    -- counted_in_share: the people a share is of. District: users living in the served districts;
    -- any other characteristic: those who stated it, in the service's ages where the baseline has ages.
    select
        demographics.*,
        agreements.service_name,
        agreements.service_category,
        coalesce(agreements.ages_served, 'Not stated: compared with all ages') as ages_served,
        agreements.age_from > 0 or agreements.age_to is not null as narrower_than_all_ages,
        cohort_groups.in_cohort = false as outside_cohort,
        case
            when demographics.characteristic = 'District'
                then demographics.group_name in (
                    select district_name from served where served.agreement_ref = demographics.agreement_ref)
            else demographics.group_name <> 'Not stated' and cohort_groups.in_cohort is distinct from false
        end as counted_in_share
    from demographics
    join agreements using (agreement_ref)
    left join cohort_groups
        on cohort_groups.agreement_ref = demographics.agreement_ref
        and cohort_groups.characteristic = demographics.characteristic
        and cohort_groups.group_name = demographics.group_name
),
assessed as (
    select
        scoped.*,
        sum(service_users) filter (where counted_in_share)
            over (partition by scoped.agreement_ref, scoped.financial_year, scoped.characteristic) as people_assessed,
        sum(service_users)
            over (partition by scoped.agreement_ref, scoped.financial_year, scoped.characteristic) as characteristic_total,
        baseline.population_share as baseline_share,
        baseline.baseline_weighting,
        scoped.characteristic in (select characteristic from census_characteristics) as census_has_characteristic
    from scoped
    left join baseline
        on baseline.agreement_ref = scoped.agreement_ref
        and baseline.financial_year = scoped.financial_year
        and baseline.characteristic = scoped.characteristic
        and baseline.group_name = scoped.group_name
        and scoped.counted_in_share
),
controlled as ({{ disclosure_control('assessed', ['financial_year', 'agreement_ref', 'characteristic'],
                                     'group_name', 'service_users') }}),
published as (
    select
        *,
        -- A share is of people_assessed, which a reader can work out from any visible share (count /
        -- share): with a hidden cell outside it (Not stated, Outside the area, outside the cohort), that
        -- would give away the hidden cells outside, so the whole table's shares are withheld.
        bool_or(suppress_in_publication and not counted_in_share)
            over (partition by financial_year, agreement_ref, characteristic) as shares_withheld,
        case when counted_in_share and people_assessed > 0 then service_users / people_assessed end as share,
        people_assessed * baseline_share as expected
    from controlled
)
select
    financial_year,
    agreement_ref,
    service_name,
    service_category,
    ages_served,
    characteristic,
    group_name,
    cast(service_users as bigint) as service_users,
    cast(characteristic_total as bigint) as characteristic_total,
    counted_in_share,
    cast(case when not suppress_in_publication and not shares_withheld then share end as decimal(9, 4))
        as share_of_stated,
    cast(baseline_share as decimal(9, 4)) as population_share,
    cast(case when not suppress_in_publication and not shares_withheld and baseline_share > 0
              then share / baseline_share end as decimal(9, 3)) as representation_ratio,
    cast(case when not suppress_in_publication and not shares_withheld then expected end as decimal(18, 1))
        as expected_users,
    case when baseline_share is not null then baseline_weighting end as baseline_weighting,
    case
        when suppress_in_publication then 'Suppressed'
        when shares_withheld and counted_in_share then 'Shares withheld (disclosure control)'
        when not counted_in_share and outside_cohort then 'Outside the cohort'
        when not counted_in_share then 'Not assessed'
        when baseline_share is null and census_has_characteristic and narrower_than_all_ages
            then 'No census baseline for this cohort'
        when baseline_share is null then 'No census baseline'
        when expected < 5 then 'Too few to assess'
        when share / baseline_share < 0.8 then 'Under-represented'
        when share / baseline_share > 1.25 then 'Over-represented'
        else 'In line with population'
    end as representation_flag,
    primary_suppressed,
    secondary_suppressed,
    suppress_in_publication,
    cast(published_count as bigint) as published_count
from published
