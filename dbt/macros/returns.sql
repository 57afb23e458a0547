{#- Spend attributed to streams, per reporting period: in the period and year to date. -#}
{% macro period_spend(period_type, stream_filter, group_by=[]) -%}
    select
        periods.period,
        {% for column in group_by %}allocated.{{ column }},{% endfor %}
        cast(coalesce(sum(allocated.allocated_amount) filter (where allocated.posting_date >= periods.period_start), 0)
             as decimal(18, 2)) as spend_in_period,
        cast(coalesce(sum(allocated.allocated_amount), 0) as decimal(18, 2)) as spend_year_to_date
    from {{ ref('int_reporting_periods') }} as periods
    join {{ ref('int_ledger_spend_allocated') }} as allocated
        on allocated.posting_date between periods.year_start and periods.period_end
    join {{ ref('int_funding_streams_current') }} as streams on streams.stream_id = allocated.stream_id
    where periods.period_type = '{{ period_type }}' and {{ stream_filter }}
    group by all
{%- endmacro %}

{#- A pack's reconciliation: what the pack reports against the ledger, per stream and period.
    The ledger side is computed here from the allocation of ledger lines, independently of the
    pack's own section models; a difference of a penny is a mismatch and blocks the pack. Where
    the pack reports spend without a stream (by_stream false), its streams are compared together
    and stream_id lists them. -#}
{% macro reconciliation(period_type, stream_filter, reported_relation, by_stream=true) -%}
{%- set stream = "stream_id" if by_stream else "string_agg(distinct stream_id, ', ' order by stream_id)" %}
with ledger_by_stream as (
    {{ period_spend(period_type, stream_filter, ['stream_id']) }}
),
ledger as (
    select period, {{ stream }} as stream_id, sum(spend_in_period) as spend_in_period
    from ledger_by_stream group by period{{ ', stream_id' if by_stream }}
),
booked_by_stream as (
    select periods.period, lines.booked_stream_id as stream_id, sum(lines.amount) as booked_in_period
    from {{ ref('int_reporting_periods') }} as periods
    join {{ ref('int_ledger_lines_matched') }} as lines
        on lines.posting_date between periods.period_start and periods.period_end
    join {{ ref('int_funding_streams_current') }} as streams on streams.stream_id = lines.booked_stream_id
    where periods.period_type = '{{ period_type }}' and {{ stream_filter }}
    group by all
),
booked as (
    select period, {{ stream }} as stream_id, sum(booked_in_period) as booked_in_period
    from booked_by_stream group by period{{ ', stream_id' if by_stream }}
),
reported as (select period, {{ 'stream_id, ' if by_stream }}sum(spend_in_period) as reported_in_period
             from {{ reported_relation }} group by all),
-- Why booked and attributed spend differ: parts of lines moved between streams by agreements'
-- funding splits. booked + moved in - moved out = ledger spend, to the penny.
pack_streams as (select stream_id from {{ ref('int_funding_streams_current') }} as streams where {{ stream_filter }}),
parts as (
    select periods.period, allocated.stream_id, lines.booked_stream_id, allocated.allocated_amount,
           allocated.stream_id in (select stream_id from pack_streams) as to_pack,
           coalesce(lines.booked_stream_id in (select stream_id from pack_streams), false) as from_pack
    from {{ ref('int_reporting_periods') }} as periods
    join {{ ref('int_ledger_spend_allocated') }} as allocated
        on allocated.posting_date between periods.period_start and periods.period_end
    join {{ ref('int_ledger_lines_matched') }} as lines using (transaction_id)
    where periods.period_type = '{{ period_type }}'
      and allocated.stream_id is distinct from lines.booked_stream_id
),
moved as (
    {%- if by_stream %}
    select period, stream_id, sum(allocated_amount) as moved_in, 0 as moved_out from parts where to_pack group by all
    union all
    select period, booked_stream_id, 0, sum(allocated_amount) from parts where from_pack group by all
    {%- else %}
    select period, sum(allocated_amount) filter (where to_pack and not from_pack) as moved_in,
           sum(allocated_amount) filter (where from_pack and not to_pack) as moved_out
    from parts group by all
    {%- endif %}
),
moved_totals as (
    select period, {{ 'stream_id, ' if by_stream }}coalesce(sum(moved_in), 0) as moved_in,
           coalesce(sum(moved_out), 0) as moved_out
    from moved group by all
),
figures as (
    select
        ledger.period,
        ledger.stream_id,
        cast(coalesce(reported.reported_in_period, 0) as decimal(18, 2)) as reported_spend,
        cast(ledger.spend_in_period as decimal(18, 2)) as ledger_spend,
        cast(coalesce(booked.booked_in_period, 0) as decimal(18, 2)) as booked_to_stream_cost_centres,
        cast(coalesce(moved_totals.moved_in, 0) as decimal(18, 2)) as attributed_from_other_cost_centres,
        cast(coalesce(moved_totals.moved_out, 0) as decimal(18, 2)) as attributed_to_other_streams,
        cast(coalesce(reported.reported_in_period, 0) - ledger.spend_in_period as decimal(18, 2)) as difference
    from ledger
    left join reported using (period{{ ', stream_id' if by_stream }})
    left join booked using (period{{ ', stream_id' if by_stream }})
    left join moved_totals using (period{{ ', stream_id' if by_stream }})
)
select
    *,
    case when difference = 0 then 'Reconciled' else 'Mismatch' end as status,
    case
        when booked_to_stream_cost_centres = ledger_spend and attributed_from_other_cost_centres = 0
             and attributed_to_other_streams = 0
            then 'All of the spend is booked to the stream''s own cost centres.'
        when booked_to_stream_cost_centres + attributed_from_other_cost_centres - attributed_to_other_streams
             = ledger_spend
            then format('Booked to the stream''s cost centres {}, plus {} of lines booked to other cost centres that '
                        || 'agreements funded by this stream share, less {} of lines booked here that belong to '
                        || 'other streams by agreements'' funding splits, is the ledger spend {}. Each line is split '
                        || 'to the penny, the spare penny to its largest part.',
                        {{ money_text('booked_to_stream_cost_centres') }},
                        {{ money_text('attributed_from_other_cost_centres') }},
                        {{ money_text('attributed_to_other_streams') }}, {{ money_text('ledger_spend') }})
        else 'Booked and attributed spend differ by more than the funding splits explain: check the ledger allocation.'
    end as explanation
from figures
{%- endmacro %}

{#- A money amount as text for a sentence: £1,234.56 (or -£0.08), from whole pence, never a double. -#}
{% macro money_text(column) -%}
    (case when {{ column }} < 0 then '-' else '' end || '£'
     || format('{:,d}', cast(abs({{ column }}) * 100 as hugeint) // 100) || '.'
     || lpad(cast(cast(abs({{ column }}) * 100 as hugeint) % 100 as varchar), 2, '0'))
{%- endmacro %}
