-- Home Office VRU return: every source item that adds to an additive figure of the pack, one row
-- per item and figure (section, row_key, field), with where it came from. Police records count
-- one each towards the crimes of their district and type in the quarter, or in the same quarter
-- a year earlier. The success measures' published rows (hospital admissions, knife crime, homicides)
-- count towards their measure the same way.
with ledger as ({{ ledger_contributions('ho-vru', 'quarter') }}),
match_funding as ({{ ledger_contributions('ho-vru', 'quarter', match_funding=true) }}),
letters as ({{ allocation_contributions('ho-vru', 'quarter') }}),
reach as ({{ return_cell_contributions('ho-vru', 'quarter', 'Demographics', {'Service users': 'people_engaged'}) }}),
periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
crimes as (
    select * from {{ ref('int_police_crimes_located') }}
    where crime_type in ('Violence and sexual offences', 'Possession of weapons', 'Robbery')
      and district_code not in ('OUTSIDE', 'UNKNOWN')
),
police as (
    select
        periods.period,
        case when crimes.crime_month >= periods.period_start then 'crimes_in_period'
             else 'crimes_same_quarter_last_year' end as field,
        'police record' as source_kind,
        cast(1 as decimal(18, 2)) as amount,
        crimes.district_code,
        crimes.crime_type,
        crimes.crime_month,
        'crime ' || coalesce(crimes.crime_id, '(no id)') || ', ' || strftime(crimes.crime_month, '%Y-%m') as detail,
        crimes._source_file as source_file,
        crimes._source_sha256 as source_sha256,
        crimes._source_locator as source_locator
    from periods
    join crimes
        on crimes.crime_month between periods.period_start and periods.period_end
        or crimes.crime_month between periods.period_start - interval 1 year and periods.period_end - interval 1 year
),
-- The success measures: each published row of the tenant's force (HES X99 admissions, knife or sharp
-- instrument offences, Homicide Index victims) adds to its measure in its quarter, or in the same
-- quarter a year later as last year's figure; rows of people under 25 add to the under-25 figures too.
success as (
    select
        periods.period,
        counts.measure_id,
        case when counts.quarter_start = periods.period_start then 'value_in_period'
             else 'value_same_quarter_last_year' end as field,
        counts.source_kind,
        cast(counts.value as decimal(18, 2)) as amount,
        counts.is_under_25,
        counts.detail,
        counts.source_file,
        counts.source_sha256,
        counts.source_locator
    from periods
    join {{ ref('int_success_measure_counts') }} as counts
        on counts.quarter_start = periods.period_start
        or counts.quarter_start = (periods.period_start - interval 1 year)::date
)

select 'summary' as section, 'all' as row_key, * from ledger
union all by name
select 'summary' as section, 'all' as row_key, * replace ('interventions_spend_year_to_date' as field) from ledger
where field = 'spend_year_to_date' and vru_category = 'Interventions'
union all by name
select 'summary' as section, 'all' as row_key, * replace ('evaluation_spend_year_to_date' as field) from ledger
where field = 'spend_year_to_date' and vru_category = 'Evaluation'
union all by name
select 'summary' as section, 'all' as row_key, * replace ('match_funding_year_to_date' as field) from match_funding
where field = 'spend_year_to_date'
union all by name
select 'summary' as section, 'all' as row_key, * from letters
union all by name
select 'summary' as section, 'all' as row_key, * from reach where row_group = 'Age band'
union all by name
select 'summary' as section, 'all' as row_key, * replace ('people_under_25_engaged' as field) from reach
where row_group = 'Age band' and row_label in ('Under 18', '18-24')
union all by name
select 'spend' as section, vru_category as row_key, * from ledger
union all by name
select 'crime_context' as section, district_code || '|' || crime_type as row_key, * from police
union all by name
select 'success_measures' as section, measure_id as row_key, * exclude (measure_id, is_under_25) from success
union all by name
select 'success_measures' as section, measure_id as row_key,
       * exclude (measure_id, is_under_25) replace (replace(field, 'value_', 'value_under_25_') as field)
from success
where is_under_25
