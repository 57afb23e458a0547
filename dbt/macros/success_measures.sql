{#- A police force's name as a key that the several publications agree on: HES and the Home Office
    write "West Yorkshire", data.police.uk and tenant.yml "West Yorkshire Police"; Avon and Somerset
    is a "Constabulary"; the Metropolitan Police a "Police Service". -#}
{% macro force_key(name) -%}
    regexp_replace(lower(trim({{ name }})), '\s+(police service|police|constabulary)$', '')
{%- endmacro %}


{#- The quarter and force columns of a Home Office publication (homicide index, knife crime), which
    writes financial years as 2024/25 and quarters as 1 to 4: the year as 2024-25, the quarter as
    2024-25-Q3 with its first day, and the force (force_column, as published) with its force_key. -#}
{% macro home_office_quarter_and_force(force_column) -%}
    replace(financial_year, '/', '-') as financial_year,
    cast(financial_quarter as integer) as quarter_number,
    replace(financial_year, '/', '-') || '-Q' || financial_quarter as financial_quarter,
    {{ quarter_start("financial_year || '-Q' || financial_quarter") }} as quarter_start,
    {{ force_column }},
    {{ force_key(force_column) }} as force_key
{%- endmacro %}
