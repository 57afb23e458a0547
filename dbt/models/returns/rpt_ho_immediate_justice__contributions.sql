-- Home Office Immediate Justice return: every source item that adds to an additive figure of the
-- pack, one row per item and figure (section, row_key, field), with where it came from.
with streams as ({{ pack_streams('ho-immediate-justice') }}),
ledger as ({{ ledger_contributions('ho-immediate-justice', 'quarter') }}),
letters as ({{ allocation_contributions('ho-immediate-justice', 'quarter') }}),
with_sheet as ({{ ij_returns_with_sheet() }}),
-- Participants (people who started, within or after 48 hours of the police decision) and hours of
-- reparation delivered, from the Immediate Justice sheet of returns that have one (PQR-2025.1) ...
ij_sheet as ({{ return_cell_contributions('ho-immediate-justice', 'quarter', 'Immediate Justice',
    {'Started within 48 hours': 'participants', 'Started after 48 hours': 'participants',
     'Hours of reparation delivered': 'hours_of_reparation'}) }}),
-- ... and from a return without the sheet (PQR-2024.2): Activity's new cases (the people who started
-- this quarter, as on the sheet; service users supported would add those carried over) and the hours
-- of reparation KPI.
activity as ({{ return_cell_contributions('ho-immediate-justice', 'quarter', 'Activity',
    {'New cases': 'participants'}) }}),
kpis as ({{ return_cell_contributions('ho-immediate-justice', 'quarter', 'KPIs', {'Actual': 'hours_of_reparation'}) }}),
earlier as (
    select * from activity
    union all by name
    select * from kpis where row_label = 'Hours of reparation completed'
),
returned as (
    select * from ij_sheet
    union all by name
    select earlier.* from earlier anti join with_sheet using (agreement_ref, quarter)
),
-- A return counts towards each of the pack's streams that fund its agreement.
delivery as (
    select funding.stream_id, cells.*
    from returned as cells
    join {{ ref('int_agreement_funding_current') }} as funding using (agreement_ref)
    join streams on streams.stream_id = funding.stream_id
),
-- The Home Office measures by disposal route: every cell of the Immediate Justice sheet of the
-- returns of the services the pack's streams fund, once (not once per stream).
measures as ({{ return_cell_contributions('ho-immediate-justice', 'quarter', 'Immediate Justice',
    ij_measure_columns()) }})

select 'summary' as section, stream_id as row_key, * from ledger
union all by name
select 'summary' as section, stream_id as row_key, * from letters
union all by name
select 'summary' as section, stream_id as row_key, * from delivery
union all by name
select 'measures' as section, row_label as row_key, * from measures
