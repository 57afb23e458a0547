-- Home Office Immediate Justice return: every source item that adds to an additive figure of the
-- pack, one row per item and figure (section, row_key, field), with where it came from.
with streams as ({{ pack_streams('ho-immediate-justice') }}),
ledger as ({{ ledger_contributions('ho-immediate-justice', 'quarter') }}),
letters as ({{ allocation_contributions('ho-immediate-justice', 'quarter') }}),
activity as ({{ return_cell_contributions('ho-immediate-justice', 'quarter', 'Activity',
    {'Service users supported': 'participants'}) }}),
kpis as ({{ return_cell_contributions('ho-immediate-justice', 'quarter', 'KPIs', {'Actual': 'hours_of_reparation'}) }}),
-- A return counts towards each of the pack's streams that fund its agreement.
delivery as (
    select funding.stream_id, cells.* exclude (stream_id)
    from (select *, null::varchar as stream_id from activity
          union all by name
          select *, null::varchar as stream_id from kpis where row_label = 'Hours of reparation completed') as cells
    join {{ ref('int_agreement_funding_current') }} as funding using (agreement_ref)
    join streams on streams.stream_id = funding.stream_id
)

select 'summary' as section, stream_id as row_key, * from ledger
union all by name
select 'summary' as section, stream_id as row_key, * from letters
union all by name
select 'summary' as section, stream_id as row_key, * from delivery
