{#- A police force's name as a key that the several publications agree on: HES and the Home Office
    write "West Yorkshire", data.police.uk and tenant.yml "West Yorkshire Police"; Avon and Somerset
    is a "Constabulary"; the Metropolitan Police a "Police Service". -#}
{% macro force_key(name) -%}
    regexp_replace(lower(trim({{ name }})), '\s+(police service|police|constabulary)$', '')
{%- endmacro %}

