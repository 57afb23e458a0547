{#- Disclosure control for any published table of counts: the one rule every published output uses.

    disclosure_control(relation, table_keys, cell_column, count_column, max_suppressed=none)
      relation      a relation or CTE name holding one row per cell
      table_keys    the columns that identify one table (e.g. financial year, agreement, characteristic);
                    the table's total is taken to be published
      cell_column   the column naming the cell within its table (e.g. group_name), to break ties
      count_column  the count of people in the cell
      max_suppressed  N: counts 1 to N are hidden; default the dbt var disclosure_max_suppressed, else 4

    Returns the relation's rows with four columns added:
      primary_suppressed     the count is 1 to N (zero is not suppressed: it discloses no one)
      secondary_suppressed   hidden so the primary cells cannot be worked out from the table's total:
                             in a table with at least one primary cell, the smallest cell with a count
                             above N (ties by cell name), so the hidden cells never all lie in 1 to N;
                             if the table has no cell above N, every other cell of the table (zeros too:
                             without them, two hidden 4s in a table of 8 would both be known)
      suppress_in_publication  primary or secondary: the count must not appear in a published output
      published_count        the count, or null where it is hidden
    primary_suppressed and secondary_suppressed are for internal checks, never for publication
    (publishing which cells are primary tells a reader those counts are 1 to N).

    Anything else published beside the counts that reveals a hidden count (a share of a total the
    reader can work out) must be withheld by the caller: see edi_representation. -#}

{% macro disclosure_control(relation, table_keys, cell_column, count_column, max_suppressed=none) -%}
{%- set n = max_suppressed if max_suppressed is not none else var('disclosure_max_suppressed', 4) -%}
{%- set table = table_keys | join(', ') -%}
select
    *,
    primary_suppressed or secondary_suppressed as suppress_in_publication,
    case when not (primary_suppressed or secondary_suppressed) then {{ count_column }} end as published_count
from (
    select
        * exclude (_primary_cells, _cells_above, _size_rank),
        not primary_suppressed and _primary_cells > 0
            and (_cells_above = 0 or (_size_rank = 1 and {{ count_column }} > {{ n }})) as secondary_suppressed
    from (
        select
            *,
            count(*) filter (where primary_suppressed) over (partition by {{ table }}) as _primary_cells,
            count(*) filter (where {{ count_column }} > {{ n }}) over (partition by {{ table }}) as _cells_above,
            row_number() over (
                partition by {{ table }}
                order by {{ count_column }} <= {{ n }}, {{ count_column }}, {{ cell_column }}
            ) as _size_rank
        from (
            select *, coalesce({{ count_column }} between 1 and {{ n }}, false) as primary_suppressed
            from {{ relation }}
        ) as _cells
    ) as _ranked
) as _controlled
{%- endmacro %}
