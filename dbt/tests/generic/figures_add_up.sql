{#- Every additive figure of a pack section (an rpt_ model) is exactly the sum of its
    contributions: rows of the pack's rpt_<pack>__contributions with the same period, section,
    row key (the key columns joined by '|', 'all' for a one-row section) and field. Both ways:
    - a figure shown differs from the sum of its contributions;
    - contributions that add to something add to a row the section does not show (money or people
      lost between the sources and the pack), unless the field is listed in rows_not_shown (a
      comparison figure of a row shown only for the period's own data);
    - a figure shown as not available (null) has contributions, unless the field is listed in
      may_be_unavailable (a count withheld because its months are not all covered).
    Any row returned fails the test, and the gate blocks the pack. -#}
{% test figures_add_up(model, contributions, section, fields, key=[], rows_not_shown=[], may_be_unavailable=[]) %}
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
      and field in ({% for field in fields %}'{{ field }}'{{ ', ' if not loop.last }}{% endfor %})
    group by all
)
select
    coalesce(shown.period, contributed.period) as period,
    coalesce(shown.row_key, contributed.row_key) as row_key,
    coalesce(shown.field, contributed.field) as field,
    shown.figure,
    contributed.contributed,
    case when shown.row_key is null then 'contributions to a row not shown'
         when shown.figure is null then 'not available, yet it has contributions'
         else 'not the sum of its contributions' end as problem
from shown
full outer join contributed
    on contributed.period = shown.period and contributed.row_key = shown.row_key and contributed.field = shown.field
where (shown.figure is not null and shown.figure <> coalesce(contributed.contributed, 0))
   or (shown.row_key is null and contributed.contributed <> 0
       and contributed.field not in ({% for f in rows_not_shown %}'{{ f }}', {% endfor %}''))
   or (shown.row_key is not null and shown.figure is null and coalesce(contributed.contributed, 0) <> 0
       and shown.field not in ({% for f in may_be_unavailable %}'{{ f }}', {% endfor %}''))
{% endtest %}
