{#- Casts used by staging models, so every model reads money and dates the same way. -#}

{% macro to_money(column) -%}
    cast({{ column }} as decimal(18, 2))
{%- endmacro %}

{% macro to_date(column) -%}
    coalesce(try_cast({{ column }} as date), cast(try_strptime({{ column }}, '%d/%m/%Y') as date))
{%- endmacro %}

{% macro to_uk_date(column) -%}
    cast(strptime({{ column }}, '%d/%m/%Y') as date)
{%- endmacro %}

{% macro to_flag(column) -%}
    case lower({{ column }}) when 'yes' then true when 'true' then true when 'no' then false when 'false' then false end
{%- endmacro %}

{% macro provenance() -%}
    _source_file, _source_sha256, _source_locator, _loaded_at, _load_id
{%- endmacro %}

{#- An amount in pounds divided by a whole number, to the penny, half away from zero, exactly.
    (DuckDB divides a DECIMAL by returning a DOUBLE, whose rounding can lose a half-penny: 416.735
    becomes 416.73.) Works in hundred-millionths of a pound for amounts of up to six decimal places
    of share; for amounts that are not negative. -#}
{% macro pounds_divided(numerator, divisor) -%}
    cast(cast(((cast(cast({{ numerator }} as decimal(38, 8)) * cast(100000000 as decimal(38, 0)) as hugeint) * 100
                + ({{ divisor }} * 100000000) // 2) // ({{ divisor }} * 100000000)) as decimal(38, 0)) * 0.01
         as decimal(18, 2))
{%- endmacro %}

{#- Split each group's pence (column pence, the same on every row of the group) across its rows
    by share, to the penny: a row gets its pence x share / the group's shares cut toward zero, and
    the pennies left go to the row with the largest share (ties: the lowest tiebreak, nulls last).
    Adds part_pence to every column of the relation. -#}
{% macro split_pence(relation, group_by, share, tiebreak) -%}
    {%- set groups = group_by | join(', ') %}
    select
        cut.* exclude (base_pence, part_rank, total_share),
        cut.base_pence + case when cut.part_rank = 1
                              then cut.pence - sum(cut.base_pence) over (partition by {{ groups }})
                              else 0 end as part_pence
    from (
        select
            ranked.*,
            cast(trunc(
                case when ranked.total_share = 1 then cast(ranked.pence as decimal(38, 0)) * ranked.{{ share }}
                     else cast(ranked.pence as double) * cast(ranked.{{ share }} as double)
                          / cast(ranked.total_share as double)
                end
            ) as bigint) as base_pence
        from (
            select
                {{ relation }}.*,
                sum({{ share }}) over (partition by {{ groups }}) as total_share,
                row_number() over (partition by {{ groups }} order by {{ share }} desc, {{ tiebreak }} nulls last)
                    as part_rank
            from {{ relation }}
        ) as ranked
    ) as cut
{%- endmacro %}
