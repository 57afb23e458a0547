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
             from {{ reported_relation }} group by all)
select
    ledger.period,
    ledger.stream_id,
    cast(coalesce(reported.reported_in_period, 0) as decimal(18, 2)) as reported_spend,
    cast(ledger.spend_in_period as decimal(18, 2)) as ledger_spend,
    cast(coalesce(booked.booked_in_period, 0) as decimal(18, 2)) as booked_to_stream_cost_centres,
    cast(coalesce(reported.reported_in_period, 0) - ledger.spend_in_period as decimal(18, 2)) as difference,
    case when coalesce(reported.reported_in_period, 0) = ledger.spend_in_period then 'Reconciled' else 'Mismatch' end
        as status
from ledger
left join reported using (period{{ ', stream_id' if by_stream }})
left join booked using (period{{ ', stream_id' if by_stream }})
{%- endmacro %}
