-- Who each service reached, by characteristic and group, against the population of the
-- districts it serves (Census 2021): share, population share, representation ratio, a flag for
-- under- or over-representation, and disclosure control for publication (counts of 1 to 4 are
-- suppressed, and where that leaves one suppressed cell in a characteristic the next smallest
-- is suppressed too, so it cannot be worked out from the total).
with demographics as (
    select agreement_ref, financial_year, row_group as characteristic, row_label as group_name,
           sum(value_number) as service_users
    from {{ ref('int_provider_return_values_current') }}
    -- "Service users" only: from PQR-2025.1 the sheet also has "New service users", a subset of them.
    where sheet = 'Demographics' and column_label = 'Service users' and value_number is not null
    group by all
),
agreements as (select agreement_ref, service_name, service_category from {{ ref('int_agreements_current') }}),
served as (select * from {{ ref('int_agreement_districts_served') }}),
census as (select * from {{ ref('int_census_district_groups') }}),
baseline as (
    -- Population of each group in the districts an agreement serves.
    select served.agreement_ref, census.characteristic, census.group_name, sum(census.population) as population
    from served join census using (district_code)
    where census.characteristic <> 'Population'
    group by all
    union all
    select served.agreement_ref, 'District', served.district_name, sum(census.population)
    from served join census using (district_code)
    where census.characteristic = 'Population'
    group by all
),
baseline_shares as (
    select *, population / sum(population) over (partition by agreement_ref, characteristic) as population_share
    from baseline
),
shares as (
    select
        demographics.*,
        sum(service_users) filter (where group_name <> 'Not stated')
            over (partition by agreement_ref, financial_year, characteristic) as stated_total,
        sum(service_users) over (partition by agreement_ref, financial_year, characteristic) as characteristic_total
    from demographics
),
flagged as (
    select
        shares.financial_year,
        shares.agreement_ref,
        agreements.service_name,
        agreements.service_category,
        shares.characteristic,
        shares.group_name,
        cast(shares.service_users as bigint) as service_users,
        cast(shares.characteristic_total as bigint) as characteristic_total,
        cast(case when shares.group_name <> 'Not stated' and shares.stated_total > 0
                  then shares.service_users / shares.stated_total end as decimal(9, 4)) as share_of_stated,
        cast(baseline_shares.population_share as decimal(9, 4)) as population_share,
        cast(case when baseline_shares.population_share > 0 and shares.group_name <> 'Not stated'
                       and shares.stated_total > 0
                  then (shares.service_users / shares.stated_total) / baseline_shares.population_share
             end as decimal(9, 3)) as representation_ratio,
        shares.service_users between 1 and 4 as primary_suppressed
    from shares
    join agreements using (agreement_ref)
    left join baseline_shares
        on baseline_shares.agreement_ref = shares.agreement_ref
        and baseline_shares.characteristic = shares.characteristic
        and baseline_shares.group_name = shares.group_name
),
secondary as (
    select
        flagged.*,
        count(*) filter (where primary_suppressed)
            over (partition by financial_year, agreement_ref, characteristic) as primary_in_characteristic,
        row_number() over (
            partition by financial_year, agreement_ref, characteristic
            order by case when primary_suppressed or service_users = 0 then 1 else 0 end, service_users, group_name
        ) as size_rank
    from flagged
)
select
    financial_year,
    agreement_ref,
    service_name,
    service_category,
    characteristic,
    group_name,
    service_users,
    characteristic_total,
    share_of_stated,
    population_share,
    representation_ratio,
    case
        when group_name = 'Not stated' then 'Not assessed'
        when population_share is null then 'No census baseline'
        when characteristic_total < 20 then 'Too few to assess'
        when representation_ratio < 0.8 then 'Under-represented'
        when representation_ratio > 1.25 then 'Over-represented'
        else 'In line with population'
    end as representation_flag,
    primary_suppressed,
    (primary_in_characteristic = 1 and size_rank = 1 and not primary_suppressed) as secondary_suppressed,
    primary_suppressed or (primary_in_characteristic = 1 and size_rank = 1 and not primary_suppressed)
        as suppress_in_publication
from secondary
