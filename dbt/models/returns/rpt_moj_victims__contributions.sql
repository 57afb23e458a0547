-- MoJ victims' services return: every source item that adds to an additive figure of the pack,
-- one row per item and figure (section, row_key, field), with where it came from. The section
-- models are sums over these rows, so a figure and its trace are one derivation.
with ledger as ({{ ledger_contributions('moj-victims', 'half') }}),
letters as ({{ allocation_contributions('moj-victims', 'half') }}),
commitments as ({{ commitment_contributions('moj-victims', 'half') }}),
forecasts as ({{ forecast_contributions('moj-victims', 'half') }}),
activity as (
    {{ return_cell_contributions('moj-victims', 'half', 'Activity',
       {'Referrals received': 'referrals_received', 'Referrals accepted': 'referrals_accepted'}) }}
    union all by name
    -- Each victim once in the half-year (int_return_people_counted).
    {{ return_cell_contributions('moj-victims', 'half', 'Activity',
       {'Service users supported': 'victims_supported', 'New cases': 'victims_supported'}, people=true) }}
),
outcomes as ({{ return_cell_contributions('moj-victims', 'half', 'Outcomes',
    {'Service users assessed': 'assessed', 'Service users improved': 'improved'}) }}),
demographics as ({{ return_cell_contributions('moj-victims', 'half', 'Demographics',
    {'Service users': 'victims_supported', 'New service users': 'victims_supported'}, people=true) }}),
demographic_rows as (select distinct period, row_group, row_label from demographics),
posts as ({{ post_contributions('moj-victims', 'half') }})

select 'grant_lines' as section, stream_id as row_key, * from ledger
union all by name
select 'grant_lines' as section, stream_id as row_key, * from letters
union all by name
select 'grant_lines' as section, stream_id as row_key, * from commitments
union all by name
select 'grant_lines' as section, stream_id as row_key, * from forecasts
union all by name
select 'spend_by_service' as section, coalesce(agreement_ref, 'UNMATCHED') as row_key, * from ledger
union all by name
select 'posts' as section, agreement_ref || '|' || row_label as row_key, * from posts
union all by name
select 'activity' as section, agreement_ref || '|' || row_label as row_key, * from activity
union all by name
select 'outcomes' as section, row_label as row_key, * from outcomes
union all by name
select 'demographics' as section, row_group || '|' || row_label as row_key, * from demographics
union all by name
-- The denominator of a group's share: the cells of every group of its characteristic that was stated.
select 'demographics' as section, shown.row_group || '|' || shown.row_label as row_key,
       demographics.* replace ('stated_in_characteristic' as field)
from demographic_rows as shown
join demographics on demographics.period = shown.period and demographics.row_group = shown.row_group
where shown.row_label <> 'Not stated' and demographics.row_label <> 'Not stated'
