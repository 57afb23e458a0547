{#- A police force's name as a key that the several publications agree on: HES and the Home Office
    write "West Yorkshire", data.police.uk and tenant.yml "West Yorkshire Police"; Avon and Somerset
    is a "Constabulary"; the Metropolitan Police a "Police Service". -#}
{% macro force_key(name) -%}
    regexp_replace(lower(trim({{ name }})), '\s+(police service|police|constabulary)$', '')
{%- endmacro %}

{#- The first day of a financial quarter, from a financial year (2024-25 or 2024/25) and its quarter
    number 1 to 4 (April to June is 1). -#}
{% macro fy_quarter_start(fy_label, quarter_number) -%}
    (make_date(cast(left({{ fy_label }}, 4) as integer), 4, 1) + to_months(3 * ({{ quarter_number }} - 1)))::date
{%- endmacro %}
