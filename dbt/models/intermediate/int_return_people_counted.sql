-- The return cells that count people in a period, each person once. A quarter's "Service users
-- supported" is everyone open at the start of the quarter plus its "New cases", so adding the
-- quarters of a half-year or year would count twice everyone supported in more than one of them.
-- A period's people are the first quarter's (with a return of the agreement in the period)
-- service users supported, plus the new cases of each later quarter. Demographics follow the same
-- rule with "Service users" and "New service users" (template PQR-2025.1 on; an earlier return
-- in a later quarter gives no new service users by group, so its new people are in the Activity
-- count only).
with cells as (select * from {{ ref('int_return_cells_by_period') }}),
first_quarters as (
    select period, agreement_ref, min(quarter) as first_quarter
    from cells
    group by all
)
select
    cells.*,
    case when cells.quarter = first_quarters.first_quarter
         then 'everyone supported in ' || cells.quarter || ', the first quarter of the period with a return'
         else 'new in ' || cells.quarter || ', a later quarter of the period' end as counted_as
from cells
join first_quarters using (period, agreement_ref)
where (cells.sheet = 'Activity' or cells.sheet = 'Demographics')
  and cells.value_number is not null
  and ((cells.quarter = first_quarters.first_quarter
        and cells.column_label in ('Service users supported', 'Service users'))
    or (cells.quarter > first_quarters.first_quarter
        and cells.column_label in ('New cases', 'New service users')))
