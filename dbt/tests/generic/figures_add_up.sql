{#- Every additive figure of a pack section (an rpt_ model) is exactly the sum of its
    contributions: rows of the pack's rpt_<pack>__contributions with the same period, section,
    row key (the key columns joined by '|', 'all' for a one-row section) and field. A figure that
    is null is "not available" and is not compared. Any row returned is a figure that does not
    add up, and blocks the pack. -#}
{% test figures_add_up(model, contributions, section, fields, key=[]) %}
with figures as (
    select
        period,
        {% if key %}concat_ws('|', {{ key | join(', ') }}){% else %}'all'{% endif %} as row_key,
        {%- for field in fields %}
        cast({{ field }} as decimal(18, 2)) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
),
shown as (
    {%- for field in fields %}
    select period, row_key, '{{ field }}' as field, {{ field }} as figure from figures
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),
contributed as (
    select period, row_key, field, sum(amount) as contributed
    from {{ contributions }}
    where section = '{{ section }}'
    group by all
)
select shown.period, shown.row_key, shown.field, shown.figure, coalesce(contributed.contributed, 0) as contributed
from shown
left join contributed using (period, row_key, field)
where shown.figure is not null and shown.figure <> coalesce(contributed.contributed, 0)
{% endtest %}
