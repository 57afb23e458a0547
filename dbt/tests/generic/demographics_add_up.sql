{#- In every current provider return, each demographic characteristic's figures in
    `demographics_column` of the Demographics sheet add up to the quarter's `activity_column` of the
    Activity sheet. Returns whose template has no such Demographics column (nothing entered in it)
    are left out. -#}
{% test demographics_add_up(model, demographics_column, activity_column) %}
with activity as (
    select agreement_ref, quarter, sum(value_number) as activity_total
    from {{ model }}
    where sheet = 'Activity' and column_label = '{{ activity_column }}'
    group by all
),
demographics as (
    select agreement_ref, quarter, row_group as characteristic, sum(value_number) as total
    from {{ model }}
    where sheet = 'Demographics' and column_label = '{{ demographics_column }}'
    group by all
    having count(value_number) > 0
)
select demographics.*, activity.activity_total
from demographics join activity using (agreement_ref, quarter)
where demographics.total <> activity.activity_total
{% endtest %}
